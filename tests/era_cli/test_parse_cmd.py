"""`era parse`: exit status, stdout formats and one stderr line per problem, never a traceback."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from era_cli.commands import parse as parse_cmd
from era_ingest.x12 import ADJUSTMENT_FIELDS, Problem, parse_path

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "era-samples"
CLEAN = SAMPLES / "badx12_X221-secondary-payments.edi"  # 5 adjustments, no problem
REJECTED = SAMPLES / "tigershark_835-example_pipe.txt"  # SE01 count wrong: rejected if --strict
QUIRKS = SAMPLES.parent / "era-quirks"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="era")
    parse_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["parse", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_file_exits_zero_with_one_json_object_per_adjustment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(capsys, "--format", "jsonl", str(CLEAN))
    assert (code, err) == (0, "")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 5
    assert all(tuple(row) == ADJUSTMENT_FIELDS for row in rows)
    assert rows[3]["carc"] == "2" and rows[3]["amount"] == "70"
    assert rows[1]["procedure"] == "HC:12345" and rows[1]["modifiers"] == ["26"]


def test_problems_go_to_stderr_one_line_each_and_good_output_stays(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.835"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.835"
    code, out, err = _run(
        capsys,
        "--strict",
        "--format",
        "jsonl",
        str(REJECTED),
        str(CLEAN),
        str(empty),
        str(missing),
        str(tmp_path),
    )
    assert code == 2  # a file could not be read: 2 wins over 1
    assert len(out.splitlines()) == 5  # the clean file's adjustments are still printed
    assert err.splitlines() == [
        f"{REJECTED}:49: SE01: expected 47 (segments from ST to SE), got 43 "
        "(transaction set 0001 rejected)",
        f"{empty}:0: file is empty: expected an X12 835 interchange starting with ISA",
        f"{missing}:0: file not found: expected an existing 835 file",
        f"{tmp_path}:0: is a directory: expected an 835 file",
    ]


def test_exit_status_one_for_a_rejected_set_and_an_unreadable_content(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.835"
    empty.write_bytes(b"")
    assert _run(capsys, "--strict", str(REJECTED), str(CLEAN))[0] == 1
    assert _run(capsys, str(empty), str(CLEAN))[0] == 1
    assert _run(capsys, str(tmp_path / "missing.835"))[0] == 2


def test_envelope_quirks_are_warnings_and_exit_zero_unless_strict(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = _run(capsys, "--format", "jsonl", str(REJECTED))
    assert code == 0 and len(out.splitlines()) == 3
    assert err.splitlines()[0] == (
        f"{REJECTED}:49: WARNING SE01: expected 47 (segments from ST to SE), got 43; read whole"
        " (every segment is there; ERA_INGEST_STRICT_ENVELOPE=true rejects it)"
    )
    monkeypatch.setenv("ERA_INGEST_STRICT_ENVELOPE", "true")
    code, out, err = _run(capsys, "--format", "jsonl", str(REJECTED))
    assert (code, out) == (1, "")
    assert err == (
        f"{REJECTED}:49: SE01: expected 47 (segments from ST to SE), got 43 (transaction set"
        " 0001 rejected)\n"
    )
    assert _run(capsys, "--no-strict", str(REJECTED))[0] == 0


def test_layout_quirks_exit_zero_with_their_warning(capsys: pytest.CaptureFixture[str]) -> None:
    path = QUIRKS / "wrapped-80-crlf.835"
    code, out, err = _run(capsys, "--strict", "--format", "jsonl", str(path))
    assert code == 0 and len(out.splitlines()) == 6
    assert err.startswith(f"{path}:1: WARNING line breaks inside the ISA header dropped")


def test_warnings_keep_exit_status_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--format", "jsonl", str(SAMPLES / "pyx12_835_simple_4010.txt"))
    assert code == 0
    assert len(out.splitlines()) == 5
    assert err == (
        f"{SAMPLES / 'pyx12_835_simple_4010.txt'}:4: WARNING BPR02: expected the total payment "
        "to equal "
        "the CLP04 total minus the PLB total; transaction out of balance: BPR02 = 5950.21, "
        "CLP04 total - PLB total = 467.69\n"
    )


def test_table_has_aligned_columns_and_totals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, str(CLEAN), str(SAMPLES / "lfh_demo.835"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    header = lines[0].split()
    assert header == ["file", "claim", "line", "group-carc", "amount", "procedure", "rarcs"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    rows = lines[2:10]
    assert rows[1].split() == [
        "badx12_X221-secondary-payments.edi",
        "0001000053",
        "1",
        "OA-23",
        "136.50",
        "HC:12345:26",
    ]
    assert rows[6].split() == ["lfh_demo.835", "777777", "CO-45", "3019.67", "MA02"]
    assert rows[7].split() == ["lfh_demo.835", "CV", "-1.27"]
    # amounts are right-aligned under their header
    amount_end = lines[0].index("amount") + len("amount")
    assert all(row[amount_end - 1].isdigit() for row in rows)
    assert lines[10] == ""
    assert lines[-1] == (
        "8 adjustments, total amount 86220.11 (claim 85779.88, line 441.50, provider -1.27)"
    )


def test_table_for_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, "--strict", str(REJECTED))
    assert code == 1
    assert out.splitlines()[-1] == "0 adjustments, total amount 0"
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"", 1),
        (b"\x00\xff\xfe\x01" * 100, 1),
        (b"just some text\n", 1),
        ((SAMPLES / "badx12_X221-era-sample.edi").read_bytes()[:500], 1),
        ((SAMPLES / "badx12_X221-era-sample.edi").read_bytes().replace(b"*46*25~", b"*4x6*25~"), 1),
        ((SAMPLES / "badx12_X221-era-sample.edi").read_bytes().replace(b"SE*35*", b"SE*3*"), 0),
        (b"\x00" * 64 + (SAMPLES / "badx12_X221-era-sample.edi").read_bytes() + b"\x1a", 0),
    ],
)
def test_real_entry_point_never_prints_a_traceback(
    content: bytes, status: int, tmp_path: Path
) -> None:
    path = tmp_path / "bad.835"
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "era_cli.main", "parse", "--format", "jsonl", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == status
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(f"{path}:") for line in lines)


def test_jsonl_is_the_json_encoding_of_the_parsed_adjustments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    encode = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
    samples = [str(sample) for sample in sorted(SAMPLES.iterdir()) if sample.suffix != ".md"]
    expected = [
        encode(adjustment)
        for sample in samples
        for txn in parse_path(sample)
        if not isinstance(txn, Problem)
        for adjustment in txn.adjustments
    ]
    assert len(expected) > 100
    _, out, _ = _run(capsys, "--format", "jsonl", *samples)
    assert out == "".join(f"{line}\n" for line in expected)


DENTAL = SAMPLES / "opendental_JustinSmithERA.txt"


def test_records_claims_jsonl_is_one_object_per_clp_with_every_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(capsys, "--records", "claims", "--format", "jsonl", str(DENTAL))
    assert (code, err) == (0, "")
    claims = [json.loads(line) for line in out.splitlines()]
    assert [c["claim_id"] for c in claims] == ["217308827", "217180995", "217439125"]
    assert [len(c["lines"]) for c in claims] == [3, 3, 4]
    assert claims[0]["lines"][2]["line_control_number"] == "P345633"


def test_records_remittances_table_and_claims_table_print_totals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, "--records", "remittances", str(DENTAL))
    assert code == 0
    assert out.splitlines()[-1] == "1 transaction sets (checks/EFTs), total paid 353"
    assert " CHK " in out and "0045284538" in out
    code, out, _ = _run(capsys, "--records", "claims", str(DENTAL))
    assert code == 0
    assert out.splitlines()[-1] == "3 claims, 10 service lines, charge 605, paid 353"
    assert "P345631" in out


def test_records_default_is_adjustments(capsys: pytest.CaptureFixture[str]) -> None:
    plain = _run(capsys, "--format", "jsonl", str(DENTAL))
    explicit = _run(capsys, "--records", "adjustments", "--format", "jsonl", str(DENTAL))
    assert plain == explicit and plain[1]
