"""The denial definition on the hand-made fixtures of tests/data/denials (PROVENANCE.md there):
each claim's verdict, written down from the file, not computed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from era_analytics.definition import ClaimVerdict, judge, judge_all
from era_ingest.x12 import ParsedTransaction, parse_path

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[1] / "data" / "denials"
FILES = sorted(DATA.glob("*.835"))

# claim id -> (adjudicated, denied, carc, upstream cause, denied amount, appealable amount)
EXPECTED: dict[str, tuple[bool, bool, str, str, str, str]] = {
    "N1001": (True, False, "none", "none", "0", "0"),  # paid, CO-45 + PR-2
    "N1002": (True, True, "29", "credentialing", "1200", "1200"),  # CLP02 4, CO-29
    "N1003": (True, True, "97", "coding", "1200", "1200"),  # both lines 0: CO-4 300, CO-97 900
    "N1004": (True, False, "none", "none", "0", "0"),  # one line denied (CO-16), one paid
    "N1005": (False, False, "none", "none", "0", "0"),  # reversal (22)
    "N1006": (False, False, "none", "none", "0", "0"),  # predetermination (25)
    "S2001": (True, False, "none", "none", "0", "0"),  # paid in full, no adjustment
    "S2002": (True, False, "none", "none", "0", "0"),  # CLP02 2 with CO-45
    "S2003": (True, True, "96", "verification", "250", "0"),  # PR-96: a PR surprise
    "S2004": (True, False, "none", "none", "0", "0"),  # CO-45 for the whole line: not a category
    "M3001": (True, True, "22", "verification", "400", "400"),  # CLP02 4, claim-level CO-22
    "M3002": (True, False, "none", "none", "0", "0"),
    "M3003": (True, True, "197", "verification", "600", "600"),  # CO-197 authorization
    "E4013": (True, True, "4", "coding", "500", "500"),  # CLP02 4, CO-4 and a CO-45 of 0
}


def _sets() -> list[ParsedTransaction]:
    return [t for f in FILES for t in parse_path(f) if isinstance(t, ParsedTransaction)]


def _verdicts() -> dict[str, ClaimVerdict]:
    found: dict[str, ClaimVerdict] = {}
    for txn in _sets():
        claims = txn.claims
        for claim, verdict in zip(claims, judge_all(claims, txn.adjustments), strict=True):
            found[str(claim["claim_id"])] = verdict
    return found


def test_the_fixtures_parse_clean() -> None:
    sets = _sets()
    assert len(sets) == 4
    assert all(not t.problems for t in sets)


@pytest.mark.parametrize("claim_id", sorted(EXPECTED))
def test_each_claim_is_judged_as_written_down(claim_id: str) -> None:
    verdict = _verdicts()[claim_id]
    adjudicated, denied, carc, cause, amount, appealable = EXPECTED[claim_id]
    assert (verdict.adjudicated, verdict.denied, verdict.carc, verdict.upstream_cause) == (
        adjudicated,
        denied,
        carc,
        cause,
    )
    assert verdict.denied_amount == Decimal(amount)
    assert verdict.appealable_amount == Decimal(appealable)


def test_the_twelve_paid_east_claims_are_adjudicated_not_denied() -> None:
    east = [v for k, v in _verdicts().items() if k.startswith("E40") and k != "E4013"]
    assert len(east) == 12
    assert all(v.adjudicated and not v.denied for v in east)
    assert {v.payee_npi for v in east} == {"3333333333"}
    assert {v.payer for v in east} == {"MED2"}


def _claim(status: str, lines: list[tuple[str, list[str]]], paid: str = "0") -> dict[str, object]:
    return {
        "event_id": "c1",
        "claim_status": status,
        "charge": "100",
        "paid": paid,
        "payer_id": "P",
        "payee_npi": "1234567890",
        "remit_date": "2026-03-02",
        "lines": [{"paid": p, "adjustment_event_ids": ids} for p, ids in lines],
    }


def _adj(
    event_id: str, group: str, carc: str, amount: str, level: str = "line"
) -> dict[str, object]:
    return {
        "event_id": event_id,
        "claim_event_id": "c1",
        "level": level,
        "group_code": group,
        "carc": carc,
        "amount": amount,
    }


@pytest.mark.parametrize("status", ["1", "2", "3", "19", "20", "21", "23"])
def test_every_adjudicating_status_with_all_lines_denied_is_a_denial(status: str) -> None:
    verdict = judge(_claim(status, [("0", ["a"])]), [_adj("a", "CO", "16", "100")])
    assert verdict.adjudicated and verdict.denied


@pytest.mark.parametrize("status", ["22", "25", "13", ""])
def test_other_statuses_are_not_adjudicated(status: str) -> None:
    verdict = judge(_claim(status, [("0", ["a"])]), [_adj("a", "CO", "16", "100")])
    assert not verdict.adjudicated and not verdict.denied


def test_oa_23_is_not_a_denial_but_co_22_is() -> None:
    claim = _claim("2", [("0", ["a"])])
    assert not judge(claim, [_adj("a", "OA", "23", "100")]).denied
    assert judge(claim, [_adj("a", "CO", "22", "100")]).denied


def test_a_claim_level_denial_covers_every_zero_paid_line() -> None:
    claim = _claim("1", [("0", []), ("0", ["b"])])
    adjustments = [_adj("a", "CO", "29", "60", level="claim"), _adj("b", "CO", "45", "40")]
    verdict = judge(claim, adjustments)
    assert verdict.denied and verdict.carc == "29"


def test_the_first_of_equal_denial_adjustments_dominates() -> None:
    claim = _claim("1", [("0", ["a", "b"])])
    verdict = judge(claim, [_adj("a", "CO", "197", "50"), _adj("b", "CO", "4", "50")])
    assert (verdict.carc, verdict.upstream_cause) == ("197", "verification")


def test_adjustments_of_another_claim_are_ignored() -> None:
    other = {**_adj("a", "CO", "16", "100"), "claim_event_id": "c2"}
    assert not judge(_claim("1", [("0", ["a"])]), [other]).denied


def test_a_denied_claim_without_any_adjustment_has_no_cause() -> None:
    verdict = judge(_claim("4", []), [])
    assert verdict.denied and (verdict.carc, verdict.upstream_cause) == ("none", "none")
    assert verdict.denied_amount == Decimal(100)
