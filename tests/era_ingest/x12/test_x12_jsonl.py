"""JSON lines made from the compact adjustments are, byte for byte, the dicts' JSON."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from era_ingest.x12 import ParsedTransaction, parse_path

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "era-samples"
ENCODE = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode

# Unbalanced on purpose (claim, line and transaction), with quantities, modifiers, remarks,
# escapes and non-ASCII text, a reversal, PLB pairs with references and '+' signs, and a
# second claim without any CAS.
ODD_BODY = (
    "BPR*I*+90*C*CHK************20240105",
    "TRN*1*TR\\ACE*1512345678",
    "DTM*405*20240104",
    'N1*PR*MÜLLER "PAYER"*XV*12345',
    "REF*2U*ALT",
    "N1*PE*BRIGHT SMILES DDS*XX*1234567893",
    "LX*1",
    'CLP*CL"1*22*+200*100**12',
    "CAS*CO*45*10*2*A2*+5",
    "NM1*QC*1*DOE",
    "MIA*0***0*MA01****************MA02",
    "SVC*AD:D2740:XX::YY*190*+100**+2",
    "DTM*150*20240102",
    "CAS*CO*45*70*1.5",
    "CAS*PR*1*20",
    "LQ*HE*N123",
    "LQ*RX*IGNORED",
    "SVC*AD>D1110*50*50",
    "SVC*AD:D0120*40*10",
    "CAS*OA*23*30",
    "CLP*CLAIM2*4*0*0",
    "NM1*IL*1*ROE*RICHARD****MI*M9",
    "PLB*PROV1*20241231*WO:REF1*+5*FB*-3.5*L6:*1",
)


def _assert_identical(parsed: list[object]) -> int:
    count = 0
    for item in parsed:
        if isinstance(item, ParsedTransaction):
            lines = item.json_lines()  # before .adjustments: made from the compact form
            assert lines == [ENCODE(adjustment) for adjustment in item.adjustments]
            assert item.adjustment_count == len(lines)
            count += len(lines)
    return count


def test_samples() -> None:
    count = sum(
        _assert_identical(list(parse_path(sample)))
        for sample in sorted(SAMPLES.iterdir())
        if sample.suffix != ".md"
    )
    assert count > 100


def test_odd_values_and_every_level(x12: SimpleNamespace) -> None:
    parsed = x12.parse(x12.interchange(ODD_BODY, x12.BODY))
    assert _assert_identical(parsed) > 8
    adjustments = x12.adjustments(parsed)
    assert {a["level"] for a in adjustments} == {"claim", "line", "provider"}
    assert all(a["balance_error"] for a in adjustments[:6])


def test_changed_dicts_are_what_is_written(x12: SimpleNamespace) -> None:
    (txn,) = [item for item in x12.parse(x12.interchange()) if isinstance(item, ParsedTransaction)]
    txn.adjustments[0]["ingested_at"] = "2024-01-01T00:00:00Z"
    assert json.loads(txn.json_lines()[0])["ingested_at"] == "2024-01-01T00:00:00Z"


def test_crossover_carriers_and_predetermination_estimates() -> None:
    mix = Path(__file__).resolve().parents[2] / "data" / "claim-status" / "claim-status-mix.835"
    assert _assert_identical(list(parse_path(mix))) == 19
