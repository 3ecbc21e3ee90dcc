"""What the parser reads for principle 0: the crossover carrier (NM1*TT) and a
predetermination's estimated payment (CARC 101, else charge minus adjustments)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from era_claim_status import MIX
from era_ingest.x12 import ParsedTransaction, parse_path

pytestmark = pytest.mark.unit


def _by_claim(path: Any = MIX) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for txn in parse_path(path):
        assert isinstance(txn, ParsedTransaction), txn
        assert txn.problems == []
        for adjustment in txn.adjustments:
            out.setdefault(str(adjustment["claim_id"]), []).append(adjustment)
    return out


def test_the_crossover_carrier_is_on_every_adjustment_of_its_claim() -> None:
    claims = _by_claim()
    carriers = {claim: {a["crossover_carrier"] for a in adjs} for claim, adjs in claims.items()}
    assert carriers.pop("FWTT01") == {"SUPPLEMENT MUTUAL"}
    assert carriers.pop("NOC001") == {"STATE MEDICAID"}  # NM1*TT after the claim-level CAS
    assert all(value == {None} for value in carriers.values())


def test_a_predetermination_carries_the_carc_101_estimates_and_the_allowed_amount() -> None:
    claims = _by_claim()
    estimates = {(a["line"], a["group_code"], a["carc"]): a for a in claims["PD1001"]}
    assert {k: a["estimated_payment"] for k, a in estimates.items()} == {
        (1, "CO", "45"): "425",
        (1, "CO", "101"): "425",
        (1, "PR", "1"): "425",
        (1, "PR", "2"): "425",
        (2, "CO", "45"): "125",
        (2, "CO", "101"): "125",
        (2, "PR", "2"): "125",
    }
    assert {a["allowed_amount"] for a in claims["PD1001"] if a["line"] == 1} == {"900"}
    others = [a for claim, adjs in claims.items() if claim != "PD1001" for a in adjs]
    assert {a["estimated_payment"] for a in others} == {None}


PREDETERMINATION_WITHOUT_101 = (
    "BPR*H*0*C*NON************20260302",
    "TRN*1*EST1*1999999999",
    "DTM*405*20260301",
    "N1*PR*EXAMPLE DENTAL*XV*DENT1",
    "N1*PE*SMILE DSO*XX*1234567893",
    "LX*1",
    "CLP*PD2*25*1000*0*200*12*PCN2",
    "CAS*OA*94*-50",
    "NM1*QC*1*DOE*JANE",
    "SVC*AD:D2740*1000*600**1",
    "CAS*CO*45*250",
    "CAS*PR*2*200",
    "AMT*B6*750",
)


def test_without_carc_101_the_estimate_is_the_charge_minus_the_adjustments(
    x12: SimpleNamespace,
) -> None:
    # the line shows its estimate as SVC03 (550) while the claim pays nothing, so the claim
    # does not balance (flagged); the estimates are still read from what is there
    parsed = [t for t in x12.parse(x12.interchange(PREDETERMINATION_WITHOUT_101)) if t]
    adjustments = x12.adjustments(parsed)
    by_level = {(a["level"], a["carc"]): a for a in adjustments}
    assert by_level[("line", "45")]["estimated_payment"] == "550"  # 1000 - 250 - 200
    assert by_level[("line", "2")]["estimated_payment"] == "550"
    assert by_level[("claim", "94")]["estimated_payment"] == "600"  # 1000 - (-50 + 450)
    assert all(a["balance_error"] for a in adjustments)
