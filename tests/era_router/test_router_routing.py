"""Pure routing: final route, guards and due dates."""

from __future__ import annotations

from typing import Any

import pytest

from era_classifier.classification import Classifier
from era_classifier.kb import load_knowledge_base
from era_router.routing import Router, RoutingDecision

pytestmark = pytest.mark.unit


def classified(route: str, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "payer_id": "PAYER1",
        "remit_date": "2026-01-15",
        "group_code": "CO",
        "carc": "97",
        "amount": "40.00",
        "reversal": False,
        "balance_error": None,
        "route": route,
        "action": "verify_bundling",
        "patient_billable": False,
        "flags": [],
    }
    event.update(fields)
    return event


def test_appeals_get_the_default_90_day_deadline() -> None:
    decision = Router().route(classified("appeals"))
    assert decision == RoutingDecision("appeals", appeal_deadline="2026-04-15")


def test_per_payer_appeal_window() -> None:
    router = Router(appeal_days_by_payer={"PAYER1": 180, "OTHER": 30})
    assert router.route(classified("appeals")).appeal_deadline == "2026-07-14"
    assert router.route(classified("appeals", payer_id="OTHER")).appeal_deadline == "2026-02-14"
    assert router.route(classified("appeals", payer_id="NEW")).appeal_deadline == "2026-04-15"


def test_cob_rebill_gets_a_follow_up_date() -> None:
    decision = Router(follow_up_days=14).route(classified("cob_rebill", carc="22"))
    assert (decision.route, decision.follow_up_by, decision.appeal_deadline) == (
        "cob_rebill",
        "2026-01-29",
        None,
    )
    assert Router().route(classified("cob_rebill")).follow_up_by == "2026-02-14"


def test_the_patient_share_of_a_forwarded_claim_waits_the_next_payer_days() -> None:
    event = classified("cob_rebill", group_code="PR", carc="2", action="await_next_payer")
    assert Router(follow_up_days=14, next_payer_days=45).route(event).follow_up_by == "2026-03-01"
    assert Router(follow_up_days=14).route(event).follow_up_by == "2026-02-14"  # default 30
    with pytest.raises(ValueError, match="next_payer_days"):
        Router(next_payer_days=-1)


def test_predeterminations_pass_and_carry_no_due_dates() -> None:
    event = classified("predeterminations", claim_status="25", action="record_estimate")
    assert Router().route(event) == RoutingDecision("predeterminations")


@pytest.mark.parametrize("route", ["writeoff", "appeals", "patient_statements", "cob_rebill"])
def test_a_predetermination_never_leaves_for_the_four_forbidden_routes(route: str) -> None:
    decision = Router().route(classified(route, claim_status="25", group_code="PR"))
    assert (decision.route, decision.flags, decision.predetermination_blocked) == (
        "review",
        ("predetermination_blocked",),
        True,
    )
    assert not Router().route(classified(route, claim_status="1")).predetermination_blocked


@pytest.mark.parametrize("route", ["writeoff", "review", "predeterminations"])
def test_other_routes_carry_no_due_dates(route: str) -> None:
    decision = Router().route(classified(route))
    assert (decision.route, decision.appeal_deadline, decision.follow_up_by) == (route, None, None)


def test_pr_goes_to_patient_statements() -> None:
    event = classified("patient_statements", group_code="PR", carc="2", patient_billable=True)
    decision = Router().route(event)
    assert (decision.route, decision.co_patient_blocked) == ("patient_statements", False)


@pytest.mark.parametrize(
    "fields",
    [
        {"route": "patient_statements"},
        {"route": "writeoff", "patient_billable": True},
        {"route": "patient_statements", "group_code": "PI"},
    ],
)
def test_co_to_patient_is_blocked_and_reported(fields: dict[str, Any]) -> None:
    event = {**classified("review"), **fields}
    decision = Router().route(event)
    assert decision.route == "review"
    assert decision.co_patient_blocked is True
    assert "co_patient_blocked" in decision.flags


def test_balance_error_goes_to_review() -> None:
    decision = Router().route(classified("appeals", balance_error="line does not balance"))
    assert decision.route == "review"
    assert decision.appeal_deadline is None
    assert decision.flags == ("balance_error",)


def test_unknown_route_goes_to_review() -> None:
    decision = Router().route(classified("ledger"))
    assert (decision.route, decision.flags) == ("review", ("invalid_route",))


def test_missing_remit_date_is_flagged_not_guessed() -> None:
    decision = Router().route(classified("appeals", remit_date=None))
    assert decision.appeal_deadline is None
    assert "missing_remit_date" in decision.flags


def test_flags_are_kept_and_deduplicated() -> None:
    event = classified("appeals", flags=["deactivated_code", "balance_error"], balance_error="x")
    assert Router().route(event).flags == ("deactivated_code", "balance_error")


def test_fields_for_the_routed_event() -> None:
    fields = Router().route(classified("appeals", flags=["unknown_rarc"])).fields()
    assert fields == {
        "route": "appeals",
        "appeal_deadline": "2026-04-15",
        "follow_up_by": None,
        "flags": ["unknown_rarc"],
    }


@pytest.mark.parametrize(
    "kwargs",
    [{"default_appeal_days": -1}, {"follow_up_days": 1.5}, {"appeal_days_by_payer": {"P": "90"}}],
)
def test_bad_settings_are_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="expected a whole number of days"):
        Router(**kwargs)


ORIGINALS = [("PR", "1"), ("CO", "45"), ("CO", "97"), ("CO", "22"), ("OA", "23"), ("CO", "18")]


@pytest.mark.parametrize("pair", ORIGINALS, ids="-".join)
def test_reversal_routes_like_its_original_end_to_end(pair: tuple[str, str]) -> None:
    classifier, router = Classifier(load_knowledge_base()), Router()
    group, carc = pair
    original = {
        "group_code": group,
        "carc": carc,
        "level": "line",
        "line": 1,
        "amount": "40.00",
        "line_charge": "200.00",
        "remit_date": "2026-01-15",
        "payer_id": "PAYER1",
        "reversal": False,
        "rarcs": [],
    }
    reversal = {**original, "amount": "-40.00", "line_charge": "-200.00", "reversal": True}
    first = router.route({**original, **classifier.classify(original)})
    second = router.route({**reversal, **classifier.classify(reversal)})
    assert second.route == first.route
    assert (first.reversal, second.reversal) == (False, True)
    assert second.appeal_deadline == first.appeal_deadline
