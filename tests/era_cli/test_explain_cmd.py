"""`era explain`: the table says per claim the status it was read under (principle 0), and the
jsonl carries the claim reading of every adjustment."""

from __future__ import annotations

import argparse
import json

import pytest

from era_claim_status import EXPECTED, MIX
from era_cli.commands import explain as explain_cmd
from era_links import ORIGINAL, REVERSAL, by_claim

pytestmark = pytest.mark.unit


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="era")
    explain_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["explain", *argv])
    code = args.func(args)
    return code, capsys.readouterr().out


def test_the_table_names_each_claims_reading(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, str(MIX))
    assert code == 0
    per_claim = out.split("per claim (8 claims), with the status it was read under:\n")[1]
    readings = {line.split()[0]: line.split(maxsplit=2)[2] for line in per_claim.splitlines()}
    assert readings == {
        "PD1001": "predetermination — estimate only",
        "FW1901": "processed as primary, forwarded to another payer (CLP02=19)",
        "FWTT01": "processed as primary, forwarded to SUPPLEMENT MUTUAL (NM1*TT)",
        "FWRM01": "processed as primary, forwarded to another payer (MA18)",
        "SEC001": "processed as secondary",
        "DEN001": "denied",
        "NOC001": "not our claim, forwarded to STATE MEDICAID (NM1*TT)",
        "ODD001": "claim status 13 — not valid in an 835",
    }
    assert "  predeterminations          7 adjustments            1500\n" in out


def test_jsonl_carries_the_reading_and_the_decision(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "--format", "jsonl", str(MIX))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    got = {
        (r["claim_id"], r["line"], r["group_code"], r["carc"]): (
            r["route"],
            r["action"],
            r["rule_id"],
        )
        for r in rows
    }
    assert got == EXPECTED
    assert {r["claim_reading"] for r in rows if r["claim_id"] == "PD1001"} == {"predetermination"}


def test_explain_links_across_the_files_of_a_run_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _run(capsys, "--format", "jsonl", str(ORIGINAL), str(REVERSAL))
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    rows = by_claim(records)
    original = by_claim([r for r in records if r["file"] == ORIGINAL.name])[
        ("LK1001", "1", "CO", "130")
    ]
    reversal = rows[("LK1001", "22", "CO", "-130")]
    assert reversal["reverses_event_id"] == original["event_id"]
    assert reversal["reverses_claim_event_id"] == original["claim_event_id"]
    assert reversal["route"] == original["route"] == "writeoff"  # routed as the original
    correction = rows[("LK1001", "1", "PR", "20")]
    assert correction["corrects_claim_event_id"] == original["claim_event_id"]
    assert rows[("LK9999", "22", "CO", "-20")]["flags"] == ["original_not_seen"]
    wo = rows[(None, "WO", "WO", "240")]
    assert wo["matched_claim_id"] == "LK1003" and wo["route"] == "review"
    # the same files the other way round: nothing to link to yet
    code, out = _run(capsys, "--format", "jsonl", str(REVERSAL), str(ORIGINAL))
    rows = by_claim([json.loads(line) for line in out.splitlines()])
    assert rows[("LK1001", "22", "CO", "-130")]["flags"] == ["original_not_seen"]
    assert rows[(None, "WO", "WO", "240")]["matched_claim_id"] is None


def test_the_table_shows_the_links_and_the_open_forwarding_balance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _run(capsys, str(ORIGINAL), str(REVERSAL))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:8] == [
        "claim",
        "line",
        "code",
        "amount",
        "action",
        "route",
        "link",
        "why",
    ]
    assert sum("reverses " in line for line in lines) == 2
    assert sum("corrects claim " in line for line in lines) == 2
    assert sum("original not seen" in line for line in lines) == 1
    assert any(line.startswith("(provider CHK0202)") and "claim LK1003" in line for line in lines)
    assert out.endswith(
        "open forwarding balances (PLB FB not yet taken back), per payer:\n"
        "  DENT1                                     290\n"
    )
