"""CO-45 underpayment check against a contracted fee schedule."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from era_classifier.classification import Classifier
from era_classifier.fee_schedule import FeeScheduleError, load_fee_schedule, parse_fee_schedule
from era_classifier.kb import KnowledgeBase

pytestmark = pytest.mark.unit

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "fee_schedule.example.csv"

SCHEDULE = """payer_id,procedure,contracted_amount,payee_npi
PAYER1,D2740,150.00,
PAYER1,D2740,175.00,1999999992
PAYER1,AD:D1110,80.00,
"""


@pytest.fixture(scope="module")
def priced(kb: KnowledgeBase) -> Classifier:
    return Classifier(kb, fee_schedule=parse_fee_schedule(SCHEDULE))


def test_shipped_example_is_valid() -> None:
    schedule = load_fee_schedule(EXAMPLE)
    assert schedule.lookup("DELTA01", "AD:D2740") == Decimal("850.00")
    assert schedule.lookup("DELTA01", "AD:D2740", "1234567893") == Decimal("910.00")


def test_lookup_prefers_location_then_qualified_code() -> None:
    schedule = parse_fee_schedule(SCHEDULE)
    assert schedule.lookup("PAYER1", "AD:D2740") == Decimal("150.00")
    assert schedule.lookup("PAYER1", "AD:D2740", "1999999992") == Decimal("175.00")
    assert schedule.lookup("PAYER1", "AD:D2740", "1000000004") == Decimal("150.00")
    assert schedule.lookup("PAYER1", "AD:D1110") == Decimal("80.00")
    assert schedule.lookup("PAYER1", "HC:D1110") is None  # written with AD: only
    assert schedule.lookup("OTHER", "AD:D2740") is None


def test_allowed_below_contract_is_an_underpayment(priced: Classifier, adj: Any) -> None:
    result = priced.classify(adj("CO", "45", allowed_amount="120.00", amount="80.00"))
    assert (result["route"], result["action"]) == ("appeals", "dispute_underpayment")
    assert result["expected_amount"] == "150.00"
    assert "120.00" in result["explanation"]
    assert "30.00" in result["explanation"]


@pytest.mark.parametrize("allowed", ["150.00", "150", "180.00"])
def test_allowed_at_or_above_contract_is_written_off(
    priced: Classifier, adj: Any, allowed: str
) -> None:
    result = priced.classify(adj("CO", "45", allowed_amount=allowed))
    assert result["route"] == "writeoff"
    assert result["expected_amount"] is None


def test_units_multiply_the_contracted_amount(priced: Classifier, adj: Any) -> None:
    result = priced.classify(adj("CO", "45", units="2", allowed_amount="290.00", line_charge="400"))
    assert (result["action"], result["expected_amount"]) == ("dispute_underpayment", "300.00")


def test_location_specific_contract_is_used(priced: Classifier, adj: Any) -> None:
    result = priced.classify(adj("CO", "45", allowed_amount="160.00", payee_npi="1999999992"))
    assert (result["action"], result["expected_amount"]) == ("dispute_underpayment", "175.00")


def test_single_event_without_allowed_amount_skips_the_check(priced: Classifier, adj: Any) -> None:
    result = priced.classify(adj("CO", "45", allowed_amount=None))
    assert result["route"] == "writeoff"
    assert "fee_check_skipped" in result["flags"]


def test_claim_context_derives_allowed_from_sibling_co_adjustments(
    priced: Classifier, adj: Any
) -> None:
    # charge 200 - CO-45 60 - CO-253 2 = allowed 138 < 150
    claim = [
        adj("CO", "45", amount="60.00"),
        adj("CO", "253", amount="2.00"),
        adj("PR", "2", amount="27.60"),
        adj("CO", "45", line=2, procedure="AD:D1110", line_charge="90.00", amount="10.00"),
    ]
    results = priced.classify_claim(claim)
    assert [r["action"] for r in results] == [
        "dispute_underpayment",
        "writeoff",
        "bill_patient",
        "writeoff",
    ]
    assert results[0]["expected_amount"] == "150.00"
    assert "138.00" in results[0]["explanation"]
    assert "fee_check_skipped" not in results[3]["flags"]


def test_classify_claim_keeps_claims_apart(priced: Classifier, adj: Any) -> None:
    first = adj("CO", "45", amount="20.00", claim_id="A")
    second = adj("CO", "45", amount="100.00", claim_id="B")  # allowed 100 < 150
    results = priced.classify_claim([first, second])
    assert [r["action"] for r in results] == ["writeoff", "dispute_underpayment"]


def test_reversed_underpayment_routes_like_the_original(
    priced: Classifier, adj: Any, reverse: Any
) -> None:
    original = adj("CO", "45", amount="80.00")
    reversal = reverse(original)
    before = priced.classify_claim([original])[0]
    after = priced.classify_claim([reversal])[0]
    assert before["action"] == after["action"] == "dispute_underpayment"
    assert (before["expected_amount"], after["expected_amount"]) == ("150.00", "-150.00")


def test_hidden_denial_wins_over_underpayment(priced: Classifier, adj: Any) -> None:
    result = priced.classify(adj("CO", "45", amount="200.00", allowed_amount="0"))
    assert result["action"] == "review_hidden_denial"


def test_procedure_without_a_contract_is_not_checked(priced: Classifier, adj: Any) -> None:
    result = priced.classify(adj("CO", "45", procedure="AD:D0150", allowed_amount="1.00"))
    assert result["route"] == "writeoff"
    assert result["flags"] == []


def test_tolerance(kb: KnowledgeBase, adj: Any) -> None:
    lenient = Classifier(
        kb, fee_schedule=parse_fee_schedule(SCHEDULE), underpayment_tolerance=Decimal("0.50")
    )
    assert lenient.classify(adj("CO", "45", allowed_amount="149.60"))["route"] == "writeoff"
    assert lenient.classify(adj("CO", "45", allowed_amount="149.40"))["route"] == "appeals"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("payer_id,procedure\nP,D1\n", r"expected the columns payer_id, procedure"),
        ("payer_id,procedure,contracted_amount,tin\n", r"got payer_id, procedure"),
        ("payer_id,procedure,contracted_amount\nP,D1,abc\n", r"<memory>:2: column contracted"),
        ("payer_id,procedure,contracted_amount\nP,D1,-3\n", r"non-negative"),
        ("payer_id,procedure,contracted_amount\n,D1,3\n", r"must not be empty"),
        ("payer_id,procedure,contracted_amount\nP,D1,3,4\n", r"<memory>:2: expected 3 columns"),
        (
            "# comment\npayer_id,procedure,contracted_amount\nP,D1,3\nP,d1,4\n",
            r"<memory>:4: payer P, procedure D1 already given on line 3",
        ),
        ("", "empty file"),
    ],
)
def test_bad_files_are_rejected_with_line_numbers(text: str, message: str) -> None:
    with pytest.raises(FeeScheduleError, match=message):
        parse_fee_schedule(text)


def test_every_problem_is_reported_at_once() -> None:
    text = "payer_id,procedure,contracted_amount\nP,D1,x\nP,D2,-1\n"
    with pytest.raises(FeeScheduleError) as info:
        parse_fee_schedule(text)
    assert str(info.value).count("\n") == 1


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FeeScheduleError, match="cannot read"):
        load_fee_schedule(tmp_path / "nope.csv")
