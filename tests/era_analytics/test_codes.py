"""The denial facts of era_analytics (which ingest uses without the classifier) are the
classifier's: the same rows as its code list, and the same category and upstream cause on
every classified adjustment of every code and group."""

from __future__ import annotations

import pytest

from era_analytics import codes
from era_classifier.classification import Classifier
from era_classifier.kb import load_knowledge_base
from era_classifier.knowledge import KB_VERSION

pytestmark = pytest.mark.unit

KB = load_knowledge_base()
GROUPS = ("CO", "PR", "OA", "PI")


def test_the_rows_are_the_classifier_code_list() -> None:
    assert codes.KB_VERSION == KB_VERSION, "copy the columns again from carc.csv"
    expected = {
        code: (e.category, e.natural_group, e.upstream_cause, e.appealable)
        for code, e in KB.carc.items()
    }
    found = {
        code: (f.category, f.natural_group, f.upstream_cause, f.appealable)
        for code, f in codes.CODES.items()
    }
    differing = sorted(set(expected.items()) ^ set(found.items()))
    assert not differing, f"lib/era_analytics/denial_codes.csv differs from carc.csv: {differing}"


@pytest.mark.parametrize("status", ["1", "4"])
def test_category_and_cause_agree_with_the_classifier_for_every_code_and_group(
    status: str,
) -> None:
    classifier = Classifier(KB)
    differing = []
    for code in KB.carc:
        for group in GROUPS:
            adjustment = {
                "level": "line",
                "group_code": group,
                "carc": code,
                "amount": "10",
                "claim_status": status,
                "line": 1,
                "line_charge": "100",
                "rarcs": [],
            }
            fields = classifier.classify(adjustment)
            ours = (codes.facts(code).category, codes.upstream_cause(group, code))  # type: ignore[union-attr]
            if (fields["category"], fields["upstream_cause"]) != ours:
                differing.append((group, code, fields["category"], fields["upstream_cause"], ours))
    assert not differing


def test_denial_categories_and_groups() -> None:
    assert codes.is_denial("CO", "4") and codes.is_denial("PR", "96")
    assert codes.is_denial("CO", "22") and codes.is_denial("PI", "109")
    assert not codes.is_denial("OA", "23") and not codes.is_denial("PR", "22")
    assert not codes.is_denial("CO", "45") and not codes.is_denial("PR", "1")
    assert not codes.is_denial("CO", "ZZ9")


def test_appealable_excludes_patient_amounts_and_no_codes() -> None:
    assert codes.appealable("CO", "29") and codes.appealable("CO", "22")
    assert not codes.appealable("PR", "96")
    assert not codes.appealable("CO", "ZZ9")
