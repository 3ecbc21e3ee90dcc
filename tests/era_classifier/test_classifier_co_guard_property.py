"""Property: no CO adjustment is ever patient-billable or routed to patient_statements,
whatever the rules file says (principle 1), through classifier and router together."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from era_classifier.classification import Classifier
from era_classifier.fee_schedule import parse_fee_schedule
from era_classifier.kb import ACTIONS, load_knowledge_base
from era_classifier.overrides import OverrideError, OverrideRule, Overrides, parse_overrides
from era_contract.vocabulary import GROUP_CODES as GROUPS
from era_contract.vocabulary import ROUTES
from era_router.routing import Router

pytestmark = pytest.mark.unit

KB = load_knowledge_base()
CODES = sorted(KB.carc)
FEES = parse_fee_schedule("payer_id,procedure,contracted_amount\nPAYER1,D2740,150\n")
ROUTER = Router()
HEADER = "payer_id,group_code,carc,rarc,action,route,note\n"

codes = st.one_of(st.sampled_from(CODES), st.sampled_from(["999", "ZZ", "", "45"]))
groups = st.sampled_from([*GROUPS, "*"])
amounts = st.decimals(min_value=-1000, max_value=1000, places=2).map(str)
rule_rows = st.tuples(
    st.sampled_from(["PAYER1", "*", "OTHER"]),
    groups,
    codes,
    st.sampled_from(["", "N130", "M51"]),
    st.sampled_from([*ACTIONS, "bill_patient", "bill_patient"]),
    st.sampled_from([*ROUTES, "", "patient_statements"]),
)
events = st.fixed_dictionaries(
    {
        "group_code": st.sampled_from(["CO", "CO", "PI", "PR", "OA", "CR"]),
        "carc": codes,
        "amount": amounts,
        "line_charge": st.one_of(st.none(), amounts),
        "claim_charge": st.one_of(st.none(), amounts),
        "allowed_amount": st.one_of(st.none(), amounts),
        "level": st.sampled_from(["line", "claim"]),
        "line": st.just(1),
        "procedure": st.sampled_from(["AD:D2740", "AD:D1110"]),
        "payer_id": st.sampled_from(["PAYER1", "OTHER"]),
        "rarcs": st.lists(st.sampled_from(["N130", "M51", "ZZ1"]), max_size=2),
        "reversal": st.booleans(),
        "balance_error": st.one_of(st.none(), st.just("does not balance")),
        "remit_date": st.sampled_from([None, "2026-03-02", "2001-01-01"]),
    }
)


def _assert_never_billed_to_patient(event: dict[str, Any], classifier: Classifier) -> None:
    result = classifier.classify(event)
    decision = ROUTER.route({**event, **result})
    if event["group_code"] in ("CO", "PI"):
        assert result["patient_billable"] is False
        assert result["route"] != "patient_statements"
        assert result["action"] != "bill_patient"
        assert decision.route != "patient_statements"


def _aim(event: dict[str, Any], rows: list[tuple[str, ...]], data: st.DataObject) -> None:
    """Point most events at a rule so the rules actually fire."""
    if rows and data.draw(st.integers(0, 3)):
        payer, group, carc = data.draw(st.sampled_from(rows))[:3]
        event["carc"] = carc
        if payer != "*":
            event["payer_id"] = payer
        if group != "*":
            event["group_code"] = group


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(rule_rows, max_size=6), event=events, data=st.data())
def test_rules_files_never_send_co_to_the_patient(
    rows: list[tuple[str, ...]], event: dict[str, Any], data: st.DataObject
) -> None:
    _aim(event, rows, data)
    text = HEADER + "".join(",".join(row) + ",\n" for row in rows)
    try:
        overrides = parse_overrides(text, "prop.csv")
    except OverrideError as exc:
        patient_rows = [
            r for r in rows if r[1] in ("CO", "PI", "*") and "patient_statements" in (r[4], r[5])
        ]
        patient_rows += [r for r in rows if r[4] == "bill_patient" and r[1] in ("CO", "PI", "*")]
        assert patient_rows or exc.problems  # rejected, with reasons
        overrides = None
    _assert_never_billed_to_patient(event, Classifier(KB, FEES, overrides))


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(rule_rows, max_size=6), event=events, data=st.data())
def test_rules_that_bypass_validation_are_still_guarded(
    rows: list[tuple[str, ...]], event: dict[str, Any], data: st.DataObject
) -> None:
    _aim(event, rows, data)
    rules = tuple(
        OverrideRule(p, g, c, r or None, a, route or "patient_statements", line=i)
        for i, (p, g, c, r, a, route) in enumerate(rows, start=2)
    )
    _assert_never_billed_to_patient(event, Classifier(KB, FEES, Overrides(rules)))


def test_the_validator_rejects_every_co_patient_rule() -> None:
    for group in ("CO", "PI", "*"):
        for action, route in (("bill_patient", "patient_statements"), ("bill_patient", "")):
            with pytest.raises(OverrideError, match="never billed"):
                parse_overrides(HEADER + f"PAYER1,{group},45,,{action},{route},\n")
