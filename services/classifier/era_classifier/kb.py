"""The CARC/RARC/PLB knowledge base: versioned CSV package data, loaded once and validated.

``load_knowledge_base()`` reads ``era_classifier/knowledge/*.csv``, checks every row (a bad row is
a :class:`KnowledgeBaseError` naming the file, line and what was expected) and caches the result,
so the classifier's hot path only does dictionary look-ups.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from era_classifier.knowledge import KB_VERSION
from era_contract import vocabulary as v
from era_contract.vocabulary import NO_PATIENT_GROUPS
from era_contract.vocabulary import TABLE_GROUP_CODES as TABLE_GROUPS

CATEGORIES = (
    "contractual",
    "patient_responsibility",
    "coordination_of_benefits",
    "coding_documentation",
    "coverage",
    "authorization",
    "timely_filing",
    "duplicate",
    "bundling",
    "pricing",
    "provider_level",
    "unknown",
)
# Default route of every action (docs/events.md, ROUTING.md).
ACTION_ROUTE: Mapping[str, str] = MappingProxyType(
    {
        "writeoff": v.WRITEOFF,
        "bill_patient": v.PATIENT_STATEMENTS,
        "obtain_cob": v.COB_REBILL,
        "rebill_other_plan": v.COB_REBILL,
        "rebill_correct_payer": v.COB_REBILL,
        "track_forwarded": v.COB_REBILL,
        "verify_cob": v.COB_REBILL,
        "review_hidden_denial": v.APPEALS,
        "dispute_underpayment": v.APPEALS,
        "verify_duplicate": v.REVIEW,
        "corrected_claim": v.APPEALS,
        "appeal_with_proof": v.APPEALS,
        "verify_bundling": v.APPEALS,
        "review_and_decide": v.APPEALS,
        "appeal": v.APPEALS,
        "review": v.REVIEW,
        # principle 0 (claim status), decided before any code: never in the code table
        "record_estimate": v.PREDETERMINATIONS,
        "await_next_payer": v.COB_REBILL,
    }
)
ACTIONS = tuple(ACTION_ROUTE)
CLAIM_STATUS_ACTIONS = frozenset({"record_estimate", "await_next_payer"})
"""Actions only principle 0 chooses; the code list (carc.csv) may not name them."""
APPEALABLE = ("yes", "no", "conditional")
WHO_PAYS = ("provider", "patient", "other_payer")
UPSTREAM_CAUSES = ("verification", "coding", "credentialing", "contract", "none")

CARC_COLUMNS = (
    "code",
    "status",
    "start_date",
    "stop_date",
    "category",
    "natural_group",
    "action_co",
    "action_pr",
    "action_oa",
    "action_pi",
    "invalid_groups",
    "appealable",
    "who_pays",
    "upstream_cause",
    "patient_billable",
    "description",
    "description_source",
)
RARC_COLUMNS = ("code", "description")
PLB_COLUMNS = ("code", "description", "note")


class KnowledgeBaseError(ValueError):
    """A knowledge-base file is missing, malformed or inconsistent."""


@dataclass(frozen=True, slots=True)
class CarcEntry:
    """One claim adjustment reason code and the default decision for each group code."""

    code: str
    description: str
    status: str  # active | deactivated
    start_date: date | None
    stop_date: date | None
    category: str
    natural_group: str
    actions: Mapping[str, str]  # CO/PR/OA/PI -> action
    invalid_groups: frozenset[str]
    appealable: str
    who_pays: str
    upstream_cause: str | None
    patient_billable: bool
    description_source: str

    @property
    def deactivated(self) -> bool:
        return self.status == "deactivated"

    def action_for(self, group: str) -> str:
        """Default action for ``group``; CR (4010 corrections/reversals) follows the code."""
        return self.actions[self.natural_group if group == "CR" else group]

    def used_after_stop(self, remit_date: date | None) -> bool:
        """True when the code's stop date is known and the remittance is dated on/after it."""
        return (
            self.deactivated
            and self.stop_date is not None
            and remit_date is not None
            and remit_date >= self.stop_date
        )


@dataclass(frozen=True, slots=True)
class PlbEntry:
    code: str
    description: str
    note: str


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    version: str
    carc: Mapping[str, CarcEntry]
    rarc: Mapping[str, str]
    plb: Mapping[str, PlbEntry]


def _read_rows(text: str, name: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != columns:
        raise KnowledgeBaseError(
            f"{name}:1: expected header {','.join(columns)}, got {','.join(header) or '(none)'}"
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            raise KnowledgeBaseError(f"{name}:{line}: expected {len(columns)} columns")
        rows.append((line, {k: (v or "").strip() for k, v in row.items()}))
    return rows


def _one_of(name: str, line: int, column: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise KnowledgeBaseError(
            f"{name}:{line}: column {column}: expected one of {', '.join(allowed)}, got {value!r}"
        )
    return value


def _date(name: str, line: int, column: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise KnowledgeBaseError(
            f"{name}:{line}: column {column}: expected an ISO date YYYY-MM-DD, got {value!r}"
        ) from None


def _carc_entry(name: str, line: int, row: Mapping[str, str]) -> CarcEntry:
    code = row["code"]
    if not code or not code.isalnum():
        raise KnowledgeBaseError(f"{name}:{line}: column code: expected a code, got {code!r}")
    status = _one_of(name, line, "status", row["status"], ("active", "deactivated"))
    start = _date(name, line, "start_date", row["start_date"])
    stop = _date(name, line, "stop_date", row["stop_date"])
    if stop is not None and status != "deactivated":
        raise KnowledgeBaseError(
            f"{name}:{line}: code {code}: a stop_date needs status deactivated"
        )
    if start is not None and stop is not None and stop < start:
        raise KnowledgeBaseError(f"{name}:{line}: code {code}: stop_date is before start_date")
    category = _one_of(name, line, "category", row["category"], CATEGORIES[:-2])
    natural = _one_of(name, line, "natural_group", row["natural_group"], TABLE_GROUPS)
    invalid = frozenset(row["invalid_groups"].split())
    for group in invalid:
        _one_of(name, line, "invalid_groups", group, TABLE_GROUPS)
    if natural in invalid:
        raise KnowledgeBaseError(f"{name}:{line}: code {code}: natural_group {natural} is invalid")
    actions: dict[str, str] = {}
    for group in TABLE_GROUPS:
        column = f"action_{group.lower()}"
        action = _one_of(name, line, column, row[column], ACTIONS)
        if action in CLAIM_STATUS_ACTIONS:
            raise KnowledgeBaseError(
                f"{name}:{line}: column {column}: action {action} is decided by the claim status"
                " (principle 0), not by a code"
            )
        if group in invalid and action != "review":
            raise KnowledgeBaseError(
                f"{name}:{line}: column {column}: group {group} is listed as invalid for code "
                f"{code}, so its action must be review, got {action!r}"
            )
        if group in NO_PATIENT_GROUPS and ACTION_ROUTE[action] == v.PATIENT_STATEMENTS:
            raise KnowledgeBaseError(
                f"{name}:{line}: column {column}: a {group} amount is never billed to the patient"
            )
        actions[group] = action
    upstream = _one_of(name, line, "upstream_cause", row["upstream_cause"], UPSTREAM_CAUSES)
    billable = _one_of(name, line, "patient_billable", row["patient_billable"], ("yes", "no"))
    if not row["description"]:
        raise KnowledgeBaseError(f"{name}:{line}: column description: expected text, got nothing")
    return CarcEntry(
        code=code,
        description=row["description"],
        status=status,
        start_date=start,
        stop_date=stop,
        category=category,
        natural_group=natural,
        actions=MappingProxyType(actions),
        invalid_groups=invalid,
        appealable=_one_of(name, line, "appealable", row["appealable"], APPEALABLE),
        who_pays=_one_of(name, line, "who_pays", row["who_pays"], WHO_PAYS),
        upstream_cause=None if upstream == "none" else upstream,
        patient_billable=billable == "yes",
        description_source=row["description_source"],
    )


def _unique(name: str, line: int, code: str, seen: Mapping[str, object]) -> None:
    if code in seen:
        raise KnowledgeBaseError(f"{name}:{line}: code {code} appears twice")


def parse_knowledge_base(
    carc_text: str, rarc_text: str, plb_text: str, *, version: str = KB_VERSION
) -> KnowledgeBase:
    """Build and validate a knowledge base from the three CSV texts."""
    carc: dict[str, CarcEntry] = {}
    for line, row in _read_rows(carc_text, "carc.csv", CARC_COLUMNS):
        entry = _carc_entry("carc.csv", line, row)
        _unique("carc.csv", line, entry.code, carc)
        carc[entry.code] = entry
    rarc: dict[str, str] = {}
    for line, row in _read_rows(rarc_text, "rarc.csv", RARC_COLUMNS):
        if not row["code"] or not row["description"]:
            raise KnowledgeBaseError(f"rarc.csv:{line}: expected a code and a description")
        _unique("rarc.csv", line, row["code"], rarc)
        rarc[row["code"]] = row["description"]
    plb: dict[str, PlbEntry] = {}
    for line, row in _read_rows(plb_text, "plb.csv", PLB_COLUMNS):
        if not row["code"] or not row["description"]:
            raise KnowledgeBaseError(f"plb.csv:{line}: expected a code and a description")
        _unique("plb.csv", line, row["code"], plb)
        plb[row["code"]] = PlbEntry(row["code"], row["description"], row["note"])
    if not carc or not rarc or not plb:
        raise KnowledgeBaseError("knowledge base: a code list is empty")
    return KnowledgeBase(
        version=version,
        carc=MappingProxyType(carc),
        rarc=MappingProxyType(rarc),
        plb=MappingProxyType(plb),
    )


def _read_text(directory: Path | None, name: str) -> str:
    try:
        if directory is None:
            return resources.files("era_classifier.knowledge").joinpath(name).read_text("utf-8")
        return (directory / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeBaseError(f"{name}: cannot read the knowledge base file: {exc}") from exc


@functools.cache
def _load(directory: Path | None) -> KnowledgeBase:
    return parse_knowledge_base(
        _read_text(directory, "carc.csv"),
        _read_text(directory, "rarc.csv"),
        _read_text(directory, "plb.csv"),
    )


def load_knowledge_base(directory: Path | None = None) -> KnowledgeBase:
    """Load (once) and validate the shipped knowledge base, or the one in ``directory``."""
    return _load(directory)
