"""`era report --by` offline: the denial report of the hand-made fixtures (tests/data/denials),
its three formats, and its usage errors; `era report` without denial options stays the route
summary."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from era_cli.commands import denials
from era_cli.main import build_parser, main

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[1] / "data" / "denials"
FILES = [str(p) for p in sorted(DATA.glob("*.835"))]
MAP = str(DATA / "locations.csv")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_by_location_in_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        capsys, "--by", "location", "--format", "jsonl", "--locations", MAP, *FILES
    )
    assert (code, err) == (0, "")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == [
        {
            "location": "3333333333",
            "payee_npi": "3333333333",
            "claims": 13,
            "denied_claims": 1,
            "denial_rate": 0.0769,
            "above_threshold": False,
            "denied_amount": "500.00",
            "appealable_amount": "500.00",
        },
        {
            "location": "North Office",
            "payee_npi": "1111111111",
            "claims": 7,
            "denied_claims": 4,
            "denial_rate": 0.5714,
            "above_threshold": True,
            "denied_amount": "3400.00",
            "appealable_amount": "3400.00",
        },
        {
            "location": "South Office",
            "payee_npi": "2222222222",
            "claims": 4,
            "denied_claims": 1,
            "denial_rate": 0.25,
            "above_threshold": True,
            "denied_amount": "250.00",
            "appealable_amount": "0.00",
        },
    ]


def test_the_threshold_comes_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERA_DENIAL_RATE_THRESHOLD", "0.3")
    code, out, _ = _run(capsys, "--format", "jsonl", *FILES)
    assert code == 0
    above = {
        json.loads(line)["payee_npi"]: json.loads(line)["above_threshold"]
        for line in out.splitlines()
    }
    assert above == {"1111111111": True, "2222222222": False, "3333333333": False}


def test_by_every_dimension_in_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "--by",
        "location,payer,carc,upstream_cause",
        "--format",
        "csv",
        "--locations",
        MAP,
        *FILES,
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        "location", "payee_npi", "payer", "carc", "upstream_cause", "claims", "denied_claims",
        "denial_rate", "above_threshold", "denied_amount", "appealable_amount",
    ]  # fmt: skip
    north_med = [r for r in rows if r["location"] == "North Office" and r["payer"] == "MED2"]
    assert [
        (r["carc"], r["upstream_cause"], r["claims"], r["denied_claims"]) for r in north_med
    ] == [
        ("197", "verification", "3", "1"),
        ("22", "verification", "3", "1"),
    ]
    assert {r["above_threshold"] for r in rows} == {"true", "false"}


def test_the_table_names_every_column(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--by", "location,upstream_cause", "--locations", MAP, *FILES)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "location", "payee_npi", "upstream_cause", "claims", "denied_claims", "denial_rate",
        "above_threshold", "denied_amount", "appealable_amount",
    ]  # fmt: skip
    cells = [line.split() for line in lines[2:]]
    assert [c[-7:-3] for c in cells] == [
        ["coding", "13", "1", "0.0769"],  # East (unmapped)
        ["verification", "7", "2", "0.2857"],  # North: CO-22 and CO-197
        ["coding", "7", "1", "0.1429"],
        ["credentialing", "7", "1", "0.1429"],
        ["verification", "4", "1", "0.2500"],  # South: PR-96
    ]


def test_since_leaves_earlier_remittances_out(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--since", "2026-03-03", "--format", "jsonl", *FILES)
    assert (code, out) == (0, "")
    code, out, _ = _run(capsys, "--since", "2026-03-02", "--format", "jsonl", *FILES)
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--by", "clinic"], "unknown dimension 'clinic'"),
        (["--since", "yesterday"], "era report:"),
        (["--locations", "/nonexistent/locations.csv"], "/nonexistent/locations.csv"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, *argv, *FILES)
    assert (code, out) == (2, "")
    assert message in err


def test_an_unreadable_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, str(tmp_path / "missing.835"))
    assert code == 2 and "missing.835" in err


def test_without_denial_options_it_is_the_route_summary() -> None:
    args = build_parser(["report"]).parse_args(["report", "--idle-timeout", "1"])
    assert not denials.wanted(args)
    for argv in (["--by", "payer"], ["x.835"], ["--format", "csv"], ["--since", "2026-01-01"]):
        assert denials.wanted(build_parser(["report"]).parse_args(["report", *argv]))
