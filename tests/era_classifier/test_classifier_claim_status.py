"""ROUTING.md principle 0 on the hand-written fixture: the claim's status decides first.

Each adjustment of tests/data/claim-status/claim-status-mix.835 must get the route, action and
rule id written down in ``era_claim_status.EXPECTED``, whether the whole claim is in view
(``classify_claim``, as `era explain`) or one event at a time (as the worker)."""

from __future__ import annotations

from typing import Any

import pytest

from era_claim_status import EXPECTED, MIX, READINGS
from era_classifier.claim_status import ClaimReading, read_claim
from era_classifier.classification import Classifier
from era_ingest.x12 import ParsedTransaction, parse_path
from era_router.routing import Router

pytestmark = pytest.mark.unit


def _adjustments() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for txn in parse_path(MIX):
        assert isinstance(txn, ParsedTransaction)
        out.extend(txn.adjustments)
    return out


def _key(a: dict[str, Any]) -> tuple[str, int | None, str, str]:
    return (a["claim_id"], a["line"], a["group_code"], a["carc"])


@pytest.mark.parametrize("whole_claims", [True, False])
def test_each_status_and_signal_routes_as_routing_md_says(
    classifier: Classifier, whole_claims: bool
) -> None:
    adjustments = _adjustments()
    if whole_claims:
        results = classifier.classify_claim(adjustments)
    else:
        results = [classifier.classify(a) for a in adjustments]
    router = Router()
    got = {}
    for adjustment, fields in zip(adjustments, results, strict=True):
        route = router.route({**adjustment, **fields}).route
        assert route == fields["route"]
        got[_key(adjustment)] = (route, fields["action"], fields["rule_id"])
    assert got == EXPECTED


def test_every_adjustment_says_how_its_claim_was_read(classifier: Classifier) -> None:
    adjustments = _adjustments()
    for adjustment, fields in zip(adjustments, classifier.classify_claim(adjustments), strict=True):
        reading, signals = READINGS[adjustment["claim_id"]]
        assert (fields["claim_reading"], fields["forwarded_by"]) == (reading, signals)


def test_a_predetermination_bills_no_one_and_carries_its_estimate(classifier: Classifier) -> None:
    predetermination = [a for a in _adjustments() if a["claim_id"] == "PD1001"]
    for adjustment, fields in zip(
        predetermination, classifier.classify_claim(predetermination), strict=True
    ):
        assert fields["patient_billable"] is False
        assert fields["appealable"] == "no"
        assert f"estimated payer payment {adjustment['estimated_payment']}" in fields["explanation"]
        assert f"allowed {adjustment['allowed_amount']}" in fields["explanation"]


@pytest.mark.parametrize(("group", "carc"), [("CO", "45"), ("PR", "2"), ("OA", "23"), ("PI", "4")])
def test_a_predetermination_wins_over_every_group_and_code(
    classifier: Classifier, adj: Any, group: str, carc: str
) -> None:
    # CO-45 for the whole line charge would otherwise be a hidden denial (appeals)
    event = adj(group, carc, claim_status="25", amount="200.00", line_charge="200.00")
    result = classifier.classify(event)
    assert (result["route"], result["action"], result["rule_id"]) == (
        "predeterminations",
        "record_estimate",
        "R0-predetermination",
    )


def test_unknown_codes_and_missing_groups_of_a_predetermination_stay_estimates(
    classifier: Classifier, adj: Any
) -> None:
    unknown = classifier.classify(adj("CO", "999", claim_status="25"))
    assert (unknown["route"], unknown["flags"]) == ("predeterminations", ["unknown_code"])
    no_group = classifier.classify(adj(None, "45", claim_status="25"))
    assert (no_group["route"], no_group["flags"]) == ("predeterminations", ["missing_group_code"])


@pytest.mark.parametrize("status", ["5", "13", "27", "0", "", "X"])
def test_a_status_an_835_cannot_carry_goes_to_review(
    classifier: Classifier, adj: Any, status: str
) -> None:
    result = classifier.classify(adj("PR", "2", claim_status=status))
    assert (result["route"], result["rule_id"]) == ("review", "R0-unexpected-claim-status")
    assert "unexpected_claim_status" in result["flags"]
    assert result["patient_billable"] is False


@pytest.mark.parametrize(
    ("fields", "signals"),
    [
        ({"claim_status": "20"}, ["CLP02=20"]),
        ({"claim_status": "21"}, ["CLP02=21"]),
        ({"claim_status": "2", "crossover_carrier": "MEDIGAP CO"}, ["NM1*TT"]),
        ({"claim_status": "1", "rarcs": ["N89"]}, ["N89"]),
        ({"claim_status": "3", "rarcs": ["M51", "MA07"]}, ["MA07"]),
        ({"claim_status": "4", "rarcs": ["MA18"]}, ["MA18"]),
        (
            {"claim_status": "19", "crossover_carrier": "SUPPLEMENT MUTUAL", "rarcs": ["MA18"]},
            ["CLP02=19", "NM1*TT", "MA18"],
        ),
    ],
)
def test_each_forwarding_signal_holds_the_patient_share(
    classifier: Classifier, adj: Any, fields: dict[str, Any], signals: list[str]
) -> None:
    result = classifier.classify(adj("PR", "2", **fields))
    assert (result["route"], result["action"], result["rule_id"]) == (
        "cob_rebill",
        "await_next_payer",
        "R0-forwarded-patient-share",
    )
    assert result["forwarded_by"] == signals
    assert (result["who_pays"], result["patient_billable"]) == ("other_payer", False)
    contractual = classifier.classify(adj("CO", "45", **fields))
    assert (contractual["route"], contractual["forwarded_by"]) == ("writeoff", signals)


def test_a_reversal_of_a_forwarded_claim_routes_like_its_original(
    classifier: Classifier, adj: Any, reverse: Any
) -> None:
    original = adj("PR", "2", claim_status="1", rarcs=["MA18"])
    reversal = reverse(original)
    first, second = classifier.classify(original), classifier.classify(reversal)
    assert (first["route"], first["action"]) == (second["route"], second["action"])
    assert (second["claim_reading"], second["forwarded_by"]) == ("reversal", ["MA18"])


def test_a_blank_crossover_carrier_is_no_signal(classifier: Classifier, adj: Any) -> None:
    result = classifier.classify(adj("PR", "2", crossover_carrier="  "))
    assert (result["route"], result["claim_reading"]) == ("patient_statements", "processed")


def test_provider_level_adjustments_have_no_claim_reading(classifier: Classifier, plb: Any) -> None:
    result = classifier.classify(plb("WO"))
    assert (result["claim_reading"], result["forwarded_by"]) == (None, [])


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"claim_status": "25"}, "predetermination — estimate only"),
        (
            {"claim_status": "1", "crossover_carrier": "SUPPLEMENT MUTUAL"},
            "processed as primary, forwarded to SUPPLEMENT MUTUAL (NM1*TT)",
        ),
        ({"claim_status": "20"}, "processed as secondary, forwarded to another payer (CLP02=20)"),
        ({"claim_status": "23"}, "not our claim, forwarded to another payer"),
        ({"claim_status": "4"}, "denied"),
        ({"claim_status": "13"}, "claim status 13 — not valid in an 835"),
        ({"level": "provider"}, "provider level"),
    ],
)
def test_the_reading_in_words(adj: Any, fields: dict[str, Any], words: str) -> None:
    reading = read_claim(adj("CO", "45", **fields))
    assert reading.describe() == words
    record = {
        **fields,
        "claim_reading": reading.reading,
        "forwarded_by": list(reading.forwarded_by),
    }
    record["crossover_carrier"] = fields.get("crossover_carrier")
    assert ClaimReading.of_record(record).describe() == words
