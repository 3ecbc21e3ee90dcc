"""Properties over generated claims, through classifier and router together, whatever the
deployment rules say (also rules that never went through validation):

* no adjustment of a predetermination (CLP02 25) reaches writeoff, appeals, patient_statements
  or cob_rebill (ROUTING.md principle 0);
* no CO (or PI) amount reaches patient statements (principle 1);
* no PR amount of a forwarded claim (19/20/21, NM1*TT, MA18/MA07/N89) reaches patient
  statements (principle 0).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from era_classifier.claim_status import read_claim
from era_classifier.classification import Classifier
from era_classifier.fee_schedule import parse_fee_schedule
from era_classifier.kb import ACTIONS, load_knowledge_base
from era_classifier.overrides import OverrideError, OverrideRule, Overrides, parse_overrides
from era_contract.vocabulary import GROUP_CODES as GROUPS
from era_contract.vocabulary import PREDETERMINATION_FORBIDDEN_ROUTES, ROUTES
from era_router.routing import Router

pytestmark = pytest.mark.unit

KB = load_knowledge_base()
CODES = sorted(KB.carc)
FEES = parse_fee_schedule("payer_id,procedure,contracted_amount\nPAYER1,D2740,150\n")
ROUTER = Router()
HEADER = "payer_id,group_code,carc,rarc,claim_status,action,route,note\n"
STATUSES = ["1", "2", "3", "4", "19", "20", "21", "22", "23", "25", "25", "25", "5", "13"]

codes = st.one_of(st.sampled_from(CODES), st.sampled_from(["45", "101", "2", "1", "999"]))
amounts = st.decimals(min_value=-1000, max_value=1000, places=2).map(str)
rule_rows = st.tuples(
    st.sampled_from(["PAYER1", "*"]),
    st.sampled_from([*GROUPS, "*"]),
    codes,
    st.sampled_from(["", "MA18", "N130"]),
    st.sampled_from(["", *STATUSES]),
    st.sampled_from([*ACTIONS, "bill_patient", "writeoff"]),
    st.sampled_from([*ROUTES, "", "patient_statements", "writeoff"]),
)
claims = st.fixed_dictionaries(
    {
        "payer_id": st.sampled_from(["PAYER1", "OTHER"]),
        "claim_id": st.just("CLM1"),
        "claim_status": st.sampled_from(STATUSES),
        "claim_charge": st.one_of(st.none(), amounts),
        "crossover_carrier": st.sampled_from([None, None, "SUPPLEMENT MUTUAL"]),
        "rarcs": st.lists(st.sampled_from(["MA18", "MA07", "N89", "N130", "M51"]), max_size=2),
        "remit_date": st.sampled_from([None, "2026-03-02"]),
        "estimated_payment": st.one_of(st.none(), amounts),
        "balance_error": st.one_of(st.none(), st.none(), st.just("does not balance")),
    }
)
adjustments = st.lists(
    st.fixed_dictionaries(
        {
            "group_code": st.sampled_from(["CO", "CO", "PR", "PR", "OA", "PI", "CR"]),
            "carc": codes,
            "amount": amounts,
            "level": st.sampled_from(["line", "line", "claim"]),
            "line_charge": st.one_of(st.none(), amounts),
            "allowed_amount": st.one_of(st.none(), amounts),
        }
    ),
    min_size=1,
    max_size=6,
)


def _events(claim: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = []
    for index, item in enumerate(items):
        event = {**claim, **item, "procedure": "AD:D2740", "reversal": False}
        event["reversal"] = claim["claim_status"] == "22"
        event["line"] = 1 + index % 2 if item["level"] == "line" else None
        events.append(event)
    return events


def _assert_guards_hold(events: list[dict[str, Any]], classifier: Classifier) -> None:
    for event, fields in zip(events, classifier.classify_claim(events), strict=True):
        routed = ROUTER.route({**event, **fields}).route
        if event["claim_status"] == "25":
            assert fields["route"] not in PREDETERMINATION_FORBIDDEN_ROUTES
            assert routed not in PREDETERMINATION_FORBIDDEN_ROUTES
            assert fields["patient_billable"] is False
        if event["group_code"] in ("CO", "PI"):
            assert "patient_statements" not in (fields["route"], routed)
            assert fields["patient_billable"] is False
        if event["group_code"] == "PR" and read_claim(event).forwarded:
            assert "patient_statements" not in (fields["route"], routed)
            assert fields["patient_billable"] is False


def _aim(items: list[dict[str, Any]], rows: list[tuple[str, ...]], data: st.DataObject) -> None:
    """Point most adjustments at a rule so the rules actually get their chance."""
    for item in items:
        if rows and data.draw(st.integers(0, 3)):
            _, group, carc = data.draw(st.sampled_from(rows))[:3]
            item["carc"] = carc
            if group != "*":
                item["group_code"] = group


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(rule_rows, max_size=6), claim=claims, items=adjustments, data=st.data())
def test_no_rules_file_breaks_the_claim_status_and_co_guards(
    rows: list[tuple[str, ...]],
    claim: dict[str, Any],
    items: list[dict[str, Any]],
    data: st.DataObject,
) -> None:
    _aim(items, rows, data)
    rows_with_status = [r for r in rows if r[4]]
    if rows_with_status and data.draw(st.booleans()):
        claim["claim_status"] = data.draw(st.sampled_from(rows_with_status))[4]
    text = HEADER + "".join(",".join(row) + ",\n" for row in rows)
    try:
        overrides = parse_overrides(text, "prop.csv")
    except OverrideError as exc:
        assert exc.problems
        overrides = None
    _assert_guards_hold(_events(claim, items), Classifier(KB, FEES, overrides))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(rule_rows, max_size=6), claim=claims, items=adjustments, data=st.data())
def test_rules_that_bypass_validation_cannot_break_them_either(
    rows: list[tuple[str, ...]],
    claim: dict[str, Any],
    items: list[dict[str, Any]],
    data: st.DataObject,
) -> None:
    _aim(items, rows, data)
    rules = tuple(
        OverrideRule(
            p, g, c, r or None, a, route or "patient_statements", line=i, claim_status=s or None
        )
        for i, (p, g, c, r, s, a, route) in enumerate(rows, start=2)
    )
    if rules and data.draw(st.booleans()):
        claim["claim_status"] = data.draw(st.sampled_from(rows))[4] or claim["claim_status"]
    _assert_guards_hold(_events(claim, items), Classifier(KB, FEES, Overrides(rules)))


@settings(max_examples=300, deadline=None)
@given(
    route=st.sampled_from([*ROUTES, "bogus"]),
    action=st.sampled_from(ACTIONS),
    group=st.sampled_from(["CO", "PR", "OA", "PI", None]),
    billable=st.booleans(),
)
def test_the_router_blocks_and_counts_whatever_reaches_it(
    route: str, action: str, group: str | None, billable: bool
) -> None:
    event = {
        "claim_status": "25",
        "group_code": group,
        "route": route,
        "action": action,
        "patient_billable": billable,
        "remit_date": "2026-03-02",
        "amount": "10.00",
        "flags": [],
    }
    decision = ROUTER.route(event)
    assert decision.route not in PREDETERMINATION_FORBIDDEN_ROUTES
    assert decision.predetermination_blocked == (route in PREDETERMINATION_FORBIDDEN_ROUTES)
    assert ("predetermination_blocked" in decision.flags) == decision.predetermination_blocked
