"""Every ROUTING.md principle against the real knowledge base, in order of precedence."""

from __future__ import annotations

from typing import Any

import pytest

from era_classifier.classification import RULES_VERSION, Classifier

pytestmark = pytest.mark.unit

CONTRACT_FIELDS = {
    "category",
    "action",
    "route",
    "appealable",
    "who_pays",
    "patient_billable",
    "upstream_cause",
    "rule_id",
    "explanation",
    "carc_description",
    "rarc_descriptions",
    "flags",
    "expected_amount",
    "kb_version",
    "rules_version",
    "claim_reading",
    "forwarded_by",
    # null here: era_classifier.links fills them from what came before (tests/.../test_links.py)
    "reverses_event_id",
    "reverses_claim_event_id",
    "corrects_claim_event_id",
    "matched_claim_id",
    "matched_claim_event_id",
}


def test_returns_exactly_the_classification_fields(classifier: Classifier, adj: Any) -> None:
    result = classifier.classify(adj("CO", "45"))
    assert set(result) == CONTRACT_FIELDS
    assert result["kb_version"] == classifier.kb.version
    assert result["rules_version"] == RULES_VERSION


# Principle 2: group PR -> patient_statements
@pytest.mark.parametrize("carc", ["1", "2", "3"])
def test_pr_deductible_coinsurance_copay_bill_the_patient(
    classifier: Classifier, adj: Any, carc: str
) -> None:
    result = classifier.classify(adj("PR", carc))
    assert (result["route"], result["action"]) == ("patient_statements", "bill_patient")
    assert result["patient_billable"] is True
    assert result["who_pays"] == "patient"
    assert result["category"] == "patient_responsibility"
    assert result["appealable"] == "no"
    assert result["upstream_cause"] is None


def test_pr_non_covered_is_billed_and_marked_as_a_verification_miss(
    classifier: Classifier, adj: Any
) -> None:
    result = classifier.classify(adj("PR", "96", rarcs=["N130"]))
    assert result["route"] == "patient_statements"
    assert result["upstream_cause"] == "verification"
    assert result["rarc_descriptions"] == [classifier.kb.rarc["N130"]]


# Principle 3: other-plan codes -> cob_rebill
@pytest.mark.parametrize(
    ("group", "carc", "action"),
    [
        ("CO", "22", "obtain_cob"),
        ("OA", "22", "obtain_cob"),
        ("CO", "254", "rebill_other_plan"),
        ("CO", "270", "rebill_other_plan"),
        ("CO", "280", "rebill_other_plan"),
        ("CO", "109", "rebill_correct_payer"),
        ("CO", "290", "track_forwarded"),
        ("CO", "291", "track_forwarded"),
        ("OA", "290", "track_forwarded"),
        ("OA", "23", "verify_cob"),
    ],
)
def test_other_plan_codes_go_to_cob_rebill(
    classifier: Classifier, adj: Any, group: str, carc: str, action: str
) -> None:
    result = classifier.classify(adj(group, carc))
    assert (result["route"], result["action"]) == ("cob_rebill", action)
    assert result["who_pays"] == "other_payer"
    assert result["category"] == "coordination_of_benefits"
    assert result["patient_billable"] is False


# Principle 4: contractual and not appealable -> writeoff
@pytest.mark.parametrize("carc", ["45", "253", "59", "94", "131", "144", "237"])
def test_pricing_reductions_are_written_off(classifier: Classifier, adj: Any, carc: str) -> None:
    result = classifier.classify(adj("CO", carc, amount="30.00", line_charge="200.00"))
    assert (result["route"], result["action"]) == ("writeoff", "writeoff")
    assert result["who_pays"] == "provider"
    assert result["patient_billable"] is False


def test_co45_explanation_is_one_biller_sentence(classifier: Classifier, adj: Any) -> None:
    result = classifier.classify(adj("CO", "45"))
    assert result["explanation"] == (
        "CO-45: the charge exceeds the contracted fee; write off — not appealable unless the "
        "allowed amount is below contract."
    )
    assert result["appealable"] == "conditional"
    assert result["carc_description"].startswith("Charge exceeds fee schedule")


def test_co45_for_the_whole_line_charge_is_a_hidden_denial(
    classifier: Classifier, adj: Any
) -> None:
    result = classifier.classify(adj("CO", "45", amount="200.00", line_charge="200.00"))
    assert (result["route"], result["action"]) == ("appeals", "review_hidden_denial")
    assert result["appealable"] == "yes"
    partial = classifier.classify(adj("CO", "45", amount="199.99", line_charge="200.00"))
    assert partial["route"] == "writeoff"


def test_co45_for_the_whole_claim_charge_is_a_hidden_denial(
    classifier: Classifier, adj: Any
) -> None:
    claim_level = {"level": "claim", "line": None, "line_charge": None, "claim_charge": "500.00"}
    full = classifier.classify(adj("CO", "45", amount="500", **claim_level))
    assert full["action"] == "review_hidden_denial"
    part = classifier.classify(adj("CO", "45", amount="100", **claim_level))
    assert part["action"] == "writeoff"


# Principle 5: duplicate
@pytest.mark.parametrize("group", ["CO", "OA"])
def test_duplicate_goes_to_review(classifier: Classifier, adj: Any, group: str) -> None:
    result = classifier.classify(adj(group, "18"))
    assert (result["route"], result["action"]) == ("review", "verify_duplicate")
    assert result["category"] == "duplicate"
    assert result["upstream_cause"] == "coding"


# Principle 6: fixable denials -> appeals
@pytest.mark.parametrize(
    ("group", "carc", "action"),
    [
        ("CO", "4", "corrected_claim"),
        ("CO", "16", "corrected_claim"),
        ("CO", "181", "corrected_claim"),
        ("CO", "29", "appeal_with_proof"),
        ("CO", "97", "verify_bundling"),
        ("CO", "259", "review_and_decide"),
        ("CO", "289", "review_and_decide"),
        ("CO", "50", "appeal"),
        ("PI", "50", "appeal"),
        ("CO", "197", "appeal"),
        ("CO", "204", "appeal"),
    ],
)
def test_fixable_denials_go_to_appeals(
    classifier: Classifier, adj: Any, group: str, carc: str, action: str
) -> None:
    result = classifier.classify(adj(group, carc))
    assert (result["route"], result["action"]) == ("appeals", action)
    assert result["patient_billable"] is False


def test_upstream_causes(classifier: Classifier, adj: Any) -> None:
    assert classifier.classify(adj("CO", "4"))["upstream_cause"] == "coding"
    assert classifier.classify(adj("CO", "97"))["upstream_cause"] == "coding"
    assert classifier.classify(adj("CO", "29"))["upstream_cause"] == "credentialing"
    assert classifier.classify(adj("CO", "22"))["upstream_cause"] == "verification"


# Principle 7: OA other than 23, and unknown codes -> review
@pytest.mark.parametrize("carc", ["96", "94", "50", "253"])
def test_other_adjustments_go_to_review(classifier: Classifier, adj: Any, carc: str) -> None:
    result = classifier.classify(adj("OA", carc))
    assert (result["route"], result["action"], result["rule_id"]) == (
        "review",
        "review",
        "R7-other-adjustment",
    )
    assert "unknown_code" not in result["flags"]


@pytest.mark.parametrize("group", ["CO", "PR", "OA", "PI"])
def test_unknown_code_goes_to_review(classifier: Classifier, adj: Any, group: str) -> None:
    result = classifier.classify(adj(group, "999"))
    assert (result["route"], result["category"]) == ("review", "unknown")
    assert "unknown_code" in result["flags"]
    assert result["carc_description"] is None
    assert result["patient_billable"] is False


# Principle 8: PLB -> review, provider level
@pytest.mark.parametrize("code", ["WO", "L6", "72", "FB", "CS", "J1", "CV"])
def test_plb_adjustments_go_to_review(classifier: Classifier, plb: Any, code: str) -> None:
    result = classifier.classify(plb(code))
    assert (result["route"], result["category"]) == ("review", "provider_level")
    assert result["carc_description"] == classifier.kb.plb[code].description
    assert result["flags"] == []


def test_unknown_plb_code(classifier: Classifier, plb: Any) -> None:
    result = classifier.classify(plb("ZZ"))
    assert (result["route"], result["category"]) == ("review", "provider_level")
    assert "unknown_code" in result["flags"]


# Group/code pairings that make no sense
@pytest.mark.parametrize(("group", "carc"), [("PR", "253"), ("CO", "1"), ("CO", "23"), ("PI", "2")])
def test_impossible_pairings_go_to_review(
    classifier: Classifier, adj: Any, group: str, carc: str
) -> None:
    result = classifier.classify(adj(group, carc))
    assert result["route"] == "review"
    assert "group_code_mismatch" in result["flags"]
    assert result["patient_billable"] is False
    expected = "provider" if group in ("CO", "PI") else classifier.kb.carc[carc].who_pays
    assert result["who_pays"] == expected


def test_missing_group_code_on_a_cas_adj(classifier: Classifier, adj: Any) -> None:
    result = classifier.classify(adj(None, "45"))
    assert result["route"] == "review"
    assert "missing_group_code" in result["flags"]


# CR (4010 corrections and reversals) is decided by the code
def test_cr_group_follows_the_code(classifier: Classifier, adj: Any) -> None:
    assert classifier.classify(adj("CR", "45"))["route"] == "writeoff"
    assert classifier.classify(adj("CR", "1"))["route"] == "patient_statements"
    assert classifier.classify(adj("CR", "97"))["route"] == "appeals"


# balance_error -> review, still categorised
def test_balance_error_sends_to_review_but_keeps_the_category(
    classifier: Classifier, adj: Any
) -> None:
    result = classifier.classify(
        adj("CO", "45", balance_error="line charge 200.00 != paid 120.00 + adjustments 30.00")
    )
    assert (result["route"], result["action"], result["category"]) == (
        "review",
        "review",
        "contractual",
    )
    assert "balance_error" in result["flags"]
    assert "does not balance" in result["explanation"]


# Reversals classify like their originals
REVERSIBLE = [
    ("PR", "1", "30.00"),
    ("CO", "45", "30.00"),
    ("CO", "45", "200.00"),
    ("CO", "22", "30.00"),
    ("CO", "97", "30.00"),
    ("OA", "23", "30.00"),
    ("CO", "18", "30.00"),
    ("CO", "999", "30.00"),
]


@pytest.mark.parametrize("case", REVERSIBLE, ids="-".join)
def test_reversal_routes_like_the_original(
    classifier: Classifier, adj: Any, reverse: Any, case: tuple[str, str, str]
) -> None:
    group, carc, amount = case
    original = adj(group, carc, amount=amount)
    before = classifier.classify(original)
    after = classifier.classify(reverse(original))
    assert (after["route"], after["action"], after["category"]) == (
        before["route"],
        before["action"],
        before["category"],
    )
    assert after["explanation"].startswith("Reversal of an earlier payment")


# Deactivated codes: judged by the remittance date
def test_deactivated_code_used_after_its_stop_date_is_flagged(
    classifier: Classifier, adj: Any
) -> None:
    late = classifier.classify(adj("CO", "42", remit_date="2020-05-01"))
    assert "deactivated_code" in late["flags"]
    assert late["route"] == "writeoff"
    on_stop_day = classifier.classify(adj("CO", "42", remit_date="2007-06-01"))
    assert "deactivated_code" in on_stop_day["flags"]


@pytest.mark.parametrize(
    "fields",
    [
        {"remit_date": "2006-12-29"},  # before the stop date
        {"remit_date": None},  # no date to judge by
        {"remit_date": "2020-05-01", "reversal": True, "amount": "-30.00"},  # derivative use
        {"remit_date": "2020-05-01", "claim_status": "22", "amount": "-30.00"},  # CLP02 alone
    ],
)
def test_deactivated_code_is_not_flagged_when_use_was_legitimate(
    classifier: Classifier, adj: Any, fields: dict
) -> None:
    result = classifier.classify(adj("CO", "42", **fields))
    assert "deactivated_code" not in result["flags"]


def test_deactivated_code_without_a_known_stop_date_is_not_flagged(
    classifier: Classifier, adj: Any
) -> None:
    result = classifier.classify(adj("CO", "15", remit_date="2026-01-01"))
    assert "deactivated_code" not in result["flags"]
    assert result["action"] == "corrected_claim"


def test_unknown_remark_codes_are_described_and_flagged(classifier: Classifier, adj: Any) -> None:
    result = classifier.classify(adj("CO", "16", rarcs=["M51", "QQ1"]))
    assert result["rarc_descriptions"][0] == classifier.kb.rarc["M51"]
    assert result["rarc_descriptions"][1] == "(remark code not in the knowledge base)"
    assert "unknown_rarc" in result["flags"]


def test_every_action_has_an_explanation() -> None:
    from era_classifier.kb import ACTIONS
    from era_classifier.wording import ADVICE as _ADVICE

    assert set(ACTIONS) <= set(_ADVICE)
