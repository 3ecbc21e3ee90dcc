"""Deployment rules: validation at load and their effect on classification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from era_classifier.classification import RULES_VERSION, Classifier
from era_classifier.kb import KnowledgeBase
from era_classifier.overrides import (
    OverrideError,
    OverrideRule,
    Overrides,
    load_overrides,
    parse_overrides,
)

pytestmark = pytest.mark.unit

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "rules.example.csv"
HEADER = "payer_id,group_code,carc,rarc,action,route,note\n"


def test_shipped_example_is_valid(kb: KnowledgeBase) -> None:
    overrides = load_overrides(EXAMPLE, kb)
    assert len(overrides.rules) == 5
    assert [r.claim_status for r in overrides.rules] == [None, None, None, None, "2"]
    assert overrides.warnings == ()


def test_rule_applies_to_its_payer_only(kb: KnowledgeBase, adj: Any) -> None:
    rules = parse_overrides(HEADER + "PAYER1,CO,97,,writeoff,,bundled per contract\n", "r.csv")
    classifier = Classifier(kb, overrides=rules)
    mine = classifier.classify(adj("CO", "97"))
    assert (mine["route"], mine["action"], mine["rule_id"]) == (
        "writeoff",
        "writeoff",
        "override:r.csv:2",
    )
    assert "bundled per contract" in mine["explanation"]
    assert mine["category"] == "bundling"
    assert mine["rules_version"] == f"{RULES_VERSION}+{rules.version}"
    other = classifier.classify(adj("CO", "97", payer_id="PAYER2"))
    assert other["route"] == "appeals"


def test_most_specific_rule_wins(kb: KnowledgeBase, adj: Any) -> None:
    text = (
        HEADER
        + "*,*,97,,review,,any\nPAYER1,CO,97,N20,writeoff,,with N20\nPAYER1,CO,97,,appeal,,\n"
    )
    classifier = Classifier(kb, overrides=parse_overrides(text))
    assert classifier.classify(adj("CO", "97", rarcs=["N20"]))["action"] == "writeoff"
    assert classifier.classify(adj("CO", "97"))["action"] == "appeal"
    assert classifier.classify(adj("OA", "97", payer_id="X"))["action"] == "review"


def test_pr_may_be_routed_to_patient_statements(kb: KnowledgeBase, adj: Any) -> None:
    rules = parse_overrides(HEADER + "PAYER1,OA,96,,bill_patient,patient_statements,\n")
    result = Classifier(kb, overrides=rules).classify(adj("OA", "96"))
    assert (result["route"], result["patient_billable"]) == ("patient_statements", True)


def test_rules_cannot_fix_impossible_pairings_or_hide_denials(kb: KnowledgeBase, adj: Any) -> None:
    text = HEADER + "*,PR,253,,writeoff,,\n*,CO,45,,writeoff,,\n"
    classifier = Classifier(kb, overrides=parse_overrides(text))
    assert classifier.classify(adj("PR", "253"))["route"] == "review"
    hidden = classifier.classify(adj("CO", "45", amount="200.00"))
    assert hidden["action"] == "review_hidden_denial"
    assert classifier.classify(adj("CO", "45"))["rule_id"].startswith("override:")


def test_rule_for_a_code_the_list_does_not_know(kb: KnowledgeBase, adj: Any) -> None:
    rules = parse_overrides(HEADER + "PAYER1,CO,Z99,,writeoff,,payer-specific code\n", kb=kb)
    assert rules.warnings and "Z99" in rules.warnings[0]
    result = Classifier(kb, overrides=rules).classify(adj("CO", "Z99"))
    assert result["route"] == "writeoff"
    assert "unknown_code" in result["flags"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("PAYER1,CO,45,,bill_patient,patient_statements,", r"a CO amount is never billed"),
        ("PAYER1,CO,45,,bill_patient,,", r"a CO amount is never billed"),
        ("PAYER1,PI,50,,bill_patient,patient_statements,", r"a PI amount is never billed"),
        ("*,*,96,,bill_patient,patient_statements,", r"CO \(group \*\)"),
        ("PAYER1,PR,96,,review,patient_statements,", r"go together"),
        ("PAYER1,XX,45,,writeoff,,", r"r\.csv:2: column group_code: expected one of CO"),
        ("PAYER1,CO,45,,post_it,,", r"column action: expected one of writeoff"),
        ("PAYER1,CO,45,,writeoff,ledger,", r"column route: expected one of writeoff"),
        (",CO,45,,writeoff,,", r"column payer_id"),
        ("PAYER1,CO,,,writeoff,,", r"column carc"),
        ("PAYER1,CO,45,writeoff,,", r"r\.csv:2: expected 7 columns, got 6"),
    ],
)
def test_bad_rules_are_rejected_with_file_line_and_expectation(row: str, message: str) -> None:
    with pytest.raises(OverrideError, match=message):
        parse_overrides(HEADER + row + "\n", "r.csv")


def test_duplicate_rule_and_bad_header(tmp_path: Path) -> None:
    with pytest.raises(OverrideError, match=r"already ruled on line 2"):
        parse_overrides(HEADER + "P,CO,45,,writeoff,,\nP,CO,45,,review,,\n", "r.csv")
    path = tmp_path / "rules.csv"
    path.write_text("payer,group,carc\n", "utf-8")
    with pytest.raises(OverrideError, match=r"rules\.csv:1: expected the header"):
        load_overrides(path)


def test_all_problems_are_reported_together() -> None:
    text = HEADER + "P,CO,45,,bill_patient,,\nP,ZZ,1,,writeoff,,\n# comment\nP,PR,1,,nope,,\n"
    with pytest.raises(OverrideError) as info:
        parse_overrides(text, "r.csv")
    lines = [p.split(": ", 1)[0] for p in info.value.problems]
    assert lines == ["r.csv:2", "r.csv:3", "r.csv:5"]


def test_empty_file_means_no_rules(kb: KnowledgeBase) -> None:
    rules = parse_overrides("# nothing yet\n")
    assert rules.rules == ()
    assert Classifier(kb, overrides=rules).rules_version == RULES_VERSION


def test_guard_catches_a_co_patient_rule_that_bypassed_validation(
    kb: KnowledgeBase, adj: Any
) -> None:
    smuggled = Overrides(
        (OverrideRule("*", "CO", "45", None, "bill_patient", "patient_statements", line=9),)
    )
    result = Classifier(kb, overrides=smuggled).classify(adj("CO", "45"))
    assert result["route"] == "review"
    assert result["patient_billable"] is False
    assert "co_patient_blocked" in result["flags"]
    assert result["rule_id"] == "R1-co-guard"
