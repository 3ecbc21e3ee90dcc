"""What the denial definition needs to know of a CARC: its category, the group it naturally
comes with, its upstream cause and whether it can be appealed.

``denial_codes.csv`` holds these columns of the classifier's code list
(``services/classifier/era_classifier/knowledge/carc.csv``): ingest counts denials at parse
time and cannot import the classifier, so the facts live here; ``tests/era_analytics/
test_codes.py`` fails when the two disagree, and when the classifier's category and upstream
cause of any code and group differ from :func:`upstream_cause` (its deployment rules change
actions and routes, never a code's category or upstream cause).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Final

from era_contract.vocabulary import NO_PATIENT_GROUPS

KB_VERSION: Final = "2026.10.1"  # the classifier's KB_VERSION these rows were taken from
# Categories whose adjustments deny (part of) a claim, whatever the group.
DENIAL_CATEGORIES: Final = frozenset(
    {"coverage", "coding_documentation", "authorization", "timely_filing", "bundling", "duplicate"}
)
# Coordination of benefits denies when the payer refuses until another plan is billed (CO-22,
# CO-109); OA-23 (the prior payer's adjudication) and PR amounts do not.
COB: Final = "coordination_of_benefits"
COB_DENIAL_GROUPS: Final = NO_PATIENT_GROUPS  # CO and PI: the provider's, not the patient's
UPSTREAM_CAUSES: Final = ("verification", "coding", "credentialing", "contract")
NO_CAUSE: Final = "none"


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """One CARC: its category, natural group, upstream cause (``None`` when it names none)
    and appealability (yes/no/conditional)."""

    code: str
    category: str
    natural_group: str
    upstream_cause: str | None
    appealable: str


def _load() -> MappingProxyType[str, CodeFacts]:
    text = resources.files("era_analytics").joinpath("denial_codes.csv").read_text("utf-8")
    codes: dict[str, CodeFacts] = {}
    for row in csv.DictReader(text.splitlines()):
        cause = row["upstream_cause"]
        codes[row["code"]] = CodeFacts(
            code=row["code"],
            category=row["category"],
            natural_group=row["natural_group"],
            upstream_cause=None if cause == NO_CAUSE else cause,
            appealable=row["appealable"],
        )
    return MappingProxyType(codes)


CODES: Final = _load()


def _group(group: object) -> str:
    return str(group or "").strip().upper()


def facts(carc: object) -> CodeFacts | None:
    """The facts of a CARC, ``None`` when it is not in the code list."""
    return CODES.get(str(carc or "").strip().upper())


def is_denial(group: object, carc: object) -> bool:
    """Whether a claim or line adjustment is a denial-category one."""
    code = facts(carc)
    if code is None:
        return False
    return code.category in DENIAL_CATEGORIES or (
        code.category == COB and _group(group) in COB_DENIAL_GROUPS
    )


def upstream_cause(group: object, carc: object) -> str | None:
    """The adjustment's upstream cause, as the classifier gives it: the code's own, except a PR
    amount of a code that is not naturally the patient's (a PR surprise: benefits were not
    verified up front), which is ``verification``; ``None`` for an unknown code or none."""
    code = facts(carc)
    if code is None:
        return None
    if _group(group) == "PR" and code.natural_group != "PR":
        return "verification"
    return code.upstream_cause


def appealable(group: object, carc: object) -> bool:
    """Whether the provider can appeal it: a PR amount is billed to the patient (``no``),
    otherwise the code's appealability (``yes`` or ``conditional``)."""
    code = facts(carc)
    return code is not None and _group(group) != "PR" and code.appealable != "no"
