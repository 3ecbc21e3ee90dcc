"""Deployment rules with the optional ``claim_status`` column (docs/rules.md)."""

from __future__ import annotations

from typing import Any

import pytest

from era_classifier.classification import Classifier
from era_classifier.kb import KnowledgeBase
from era_classifier.overrides import OverrideError, parse_overrides

pytestmark = pytest.mark.unit

HEADER = "payer_id,group_code,carc,rarc,claim_status,action,route,note\n"


def _classifier(kb: KnowledgeBase, rows: str) -> Classifier:
    return Classifier(kb, overrides=parse_overrides(HEADER + rows, "rules.csv", kb))


def test_a_rule_can_be_limited_to_one_claim_status(kb: KnowledgeBase, adj: Any) -> None:
    classifier = _classifier(kb, "*,OA,23,,2,writeoff,,secondary COB math is always right\n")
    secondary = classifier.classify(adj("OA", "23", claim_status="2"))
    assert (secondary["action"], secondary["rule_id"]) == ("writeoff", "override:rules.csv:2")
    tertiary = classifier.classify(adj("OA", "23", claim_status="3"))
    assert (tertiary["action"], tertiary["rule_id"]) == ("verify_cob", "R3-verify-cob")


def test_the_claim_status_counts_more_than_a_remark_and_less_than_a_group(
    kb: KnowledgeBase, adj: Any
) -> None:
    classifier = _classifier(
        kb,
        "*,*,97,N20,,review,,remark\n*,*,97,,4,appeal,,denied claims\n*,CO,97,,,writeoff,,group\n",
    )
    denied = adj("OA", "97", claim_status="4", rarcs=["N20"])
    assert classifier.classify(denied)["rule_id"] == "override:rules.csv:3"
    assert classifier.classify({**denied, "group_code": "CO"})["rule_id"] == "override:rules.csv:4"


def test_the_old_header_still_works(kb: KnowledgeBase, adj: Any) -> None:
    overrides = parse_overrides(
        "payer_id,group_code,carc,rarc,action,route,note\n*,CO,97,,writeoff,,\n", "old.csv", kb
    )
    assert overrides.rules[0].claim_status is None
    assert Classifier(kb, overrides=overrides).classify(adj("CO", "97"))["action"] == "writeoff"


def test_forwarded_co_may_be_ruled_but_the_patient_share_waits(kb: KnowledgeBase, adj: Any) -> None:
    classifier = _classifier(kb, "*,*,45,,19,review,,look at crossover write-offs\n")
    assert classifier.classify(adj("CO", "45", claim_status="19"))["action"] == "review"
    assert classifier.classify(adj("PR", "2", claim_status="19"))["action"] == "await_next_payer"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("*,CO,45,,25,writeoff,,", "claim status 25 decides every adjustment"),
        ("*,*,101,,25,review,,", "claim status 25 decides every adjustment"),
        ("*,CO,109,,23,rebill_correct_payer,,", "claim status 23 decides every adjustment"),
        ("*,PR,2,,19,bill_patient,patient_statements,", "forwarded claim"),
        ("*,PR,2,,21,review,,", "forwarded claim"),
        ("*,CO,45,,13,review,,", "expected a CLP02 code of the 835"),
        ("*,CO,45,,,record_estimate,,", "belong to predetermination claims"),
        ("*,CO,45,,1,writeoff,predeterminations,", "belong to predetermination claims"),
        ("*,CO,45,,1,writeoff", "expected 8 columns, got 6"),
    ],
)
def test_rules_against_principle_0_are_rejected(kb: KnowledgeBase, row: str, problem: str) -> None:
    with pytest.raises(OverrideError, match=problem):
        parse_overrides(HEADER + row + "\n", "rules.csv", kb)


def test_the_same_codes_under_two_statuses_are_two_rules(kb: KnowledgeBase) -> None:
    rules = parse_overrides(HEADER + "*,CO,97,,1,writeoff,,\n*,CO,97,,2,appeal,,\n", "r.csv", kb)
    assert [r.claim_status for r in rules.rules] == ["1", "2"]
    with pytest.raises(OverrideError, match="already ruled on line 2"):
        parse_overrides(HEADER + "*,CO,97,,1,writeoff,,\n*,CO,97,,1,appeal,,\n", "r.csv", kb)
