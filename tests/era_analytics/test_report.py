"""The rows of `era report --by`: grouping, the cause split of a group's rate, the threshold
and ``since``, on hand-made verdicts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from era_analytics.definition import ClaimVerdict
from era_analytics.locations import Location, LocationMap
from era_analytics.report import DenialReport, parse_dimensions

pytestmark = pytest.mark.unit


def _v(npi: str, payer: str, cause: str | None = None, date: str = "2026-03-02") -> ClaimVerdict:
    denied = cause is not None
    return ClaimVerdict(
        payer=payer,
        payee_npi=npi,
        remit_date=date,
        adjudicated=True,
        denied=denied,
        carc="4" if denied else "none",
        upstream_cause=cause or "none",
        denied_amount=Decimal("10.50") if denied else Decimal(0),
        appealable_amount=Decimal("10.50") if denied else Decimal(0),
    )


MAP = LocationMap({"1111111111": Location("1111111111", "North")})
VERDICTS = [
    *[_v("1111111111", "A") for _ in range(10)],
    _v("1111111111", "A", "coding"),
    _v("1111111111", "A", "verification"),
    *[_v("2222222222", "A") for _ in range(12)],
    _v("2222222222", "A", "coding"),
    _v("2222222222", "B"),
]


def test_dimensions_are_checked_and_put_in_order() -> None:
    assert parse_dimensions("upstream_cause, location") == ("location", "upstream_cause")
    with pytest.raises(ValueError, match="'clinic'"):
        parse_dimensions("location,clinic")
    with pytest.raises(ValueError):
        parse_dimensions(" , ")


def test_by_location_one_row_per_npi_named_through_the_map() -> None:
    rows = DenialReport(("location",), MAP).add_all(VERDICTS).rows(0.08)
    assert [(r["location"], r["payee_npi"], r["claims"], r["denied_claims"]) for r in rows] == [
        ("2222222222", "2222222222", 14, 1),
        ("North", "1111111111", 12, 2),
    ]
    assert rows[1]["denial_rate"] == 0.1667 and rows[1]["above_threshold"] is True
    assert rows[0]["denial_rate"] == 0.0714 and rows[0]["above_threshold"] is False
    assert rows[1]["denied_amount"] == "21.00"


def test_causes_split_the_denied_claims_of_a_group_over_its_claims() -> None:
    rows = DenialReport(("location", "upstream_cause"), MAP).add_all(VERDICTS).rows(0.08)
    north = [r for r in rows if r["location"] == "North"]
    assert [(r["upstream_cause"], r["claims"], r["denied_claims"]) for r in north] == [
        ("coding", 12, 1),
        ("verification", 12, 1),
    ]
    assert sum(float(str(r["denial_rate"])) for r in north) == pytest.approx(2 / 12, abs=1e-4)


def test_a_group_without_denials_shows_one_dash_row() -> None:
    rows = DenialReport(("location", "payer", "carc"), MAP).add_all(VERDICTS).rows(0.08)
    payer_b = [r for r in rows if r["payer"] == "B"]
    assert payer_b == [
        {
            "location": "2222222222",
            "payee_npi": "2222222222",
            "payer": "B",
            "carc": "-",
            "claims": 1,
            "denied_claims": 0,
            "denial_rate": 0.0,
            "above_threshold": False,
            "denied_amount": "0.00",
            "appealable_amount": "0.00",
        }
    ]


def test_the_threshold_is_strict_and_exact() -> None:
    verdicts = [*[_v("1111111111", "A") for _ in range(23)], *[_v("1111111111", "A", "x")] * 2]
    rows = DenialReport(("location",), MAP).add_all(verdicts).rows(0.08)  # 2 / 25 = 0.08
    assert rows[0]["denial_rate"] == 0.08 and rows[0]["above_threshold"] is False
    assert DenialReport(("location",), MAP).add_all(verdicts).rows(0.0799)[0]["above_threshold"]


def test_without_location_every_location_is_one_row() -> None:
    rows = DenialReport(("payer",), MAP).add_all(VERDICTS).rows(0.08)
    assert [(r["location"], r["payer"], r["claims"]) for r in rows] == [
        ("all", "A", 25),
        ("all", "B", 1),
    ]


def test_since_and_unadjudicated_claims_are_left_out() -> None:
    old = _v("1111111111", "A", "coding", date="2026-01-31")
    reversal = ClaimVerdict(
        "A", "1111111111", "2026-03-02", False, False, "none", "none", Decimal(0), Decimal(0)
    )
    report = DenialReport(("location",), MAP, since="2026-02-01")
    rows = report.add_all([old, reversal, _v("1111111111", "A")]).rows(0.08)
    assert [(r["claims"], r["denied_claims"]) for r in rows] == [(1, 0)]
