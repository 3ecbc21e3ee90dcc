"""Deployment rules: re-map (payer, group, CARC[, RARC][, claim status]) to an action and route
(docs/rules.md).

The file is CSV with the columns ``payer_id,group_code,carc,rarc,action,route,note``, optionally
with ``claim_status`` (a CLP02 code) after ``rarc``; ``#`` lines are comments. It is validated
once at start: every problem is reported with the file, line and what was expected. A rule that
would send a CO (or PI) amount to the patient is rejected here, and the classifier and router
guard against it again at run time. So is a rule on what the claim's status decides before any
rule (principle 0): predeterminations (25), claims not the payer's (23) and the patient's share
of a forwarded claim (PR with 19/20/21)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from era_classifier.claim_status import (
    FORWARDED_STATUSES,
    NOT_OUR_CLAIM,
    PREDETERMINATION,
    VALID_STATUSES,
)
from era_classifier.kb import ACTION_ROUTE, ACTIONS, KnowledgeBase
from era_contract import vocabulary as v
from era_contract.vocabulary import GROUP_CODES as GROUPS
from era_contract.vocabulary import NO_PATIENT_GROUPS, ROUTES

COLUMNS = ("payer_id", "group_code", "carc", "rarc", "action", "route", "note")
COLUMNS_WITH_STATUS = ("payer_id", "group_code", "carc", "rarc", "claim_status", *COLUMNS[4:])
"""The header with the optional ``claim_status`` column (either header is accepted)."""
ANY = "*"
PRINCIPLE_0_ACTIONS = frozenset({"record_estimate"})
PRINCIPLE_0_ROUTES = frozenset({v.PREDETERMINATIONS})


class OverrideError(ValueError):
    """The rules file cannot be used. ``problems`` holds one ``file:line: what`` per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class OverrideRule:
    payer_id: str  # "*" = any payer
    group_code: str  # CO/PR/OA/PI/CR or "*"
    carc: str
    rarc: str | None  # None = any remark codes
    action: str
    route: str
    note: str = ""
    line: int = 0
    source: str = "<memory>"
    claim_status: str | None = None  # None = any CLP02

    @property
    def rule_id(self) -> str:
        return f"override:{Path(self.source).name}:{self.line}"

    @property
    def specificity(self) -> int:
        return (
            (8 if self.payer_id != ANY else 0)
            + (4 if self.group_code != ANY else 0)
            + (2 if self.claim_status is not None else 0)
            + (1 if self.rarc is not None else 0)
        )


@dataclass(frozen=True)
class Overrides:
    rules: tuple[OverrideRule, ...]
    version: str = "none"
    source: str = "<memory>"
    warnings: tuple[str, ...] = ()
    _by_carc: Mapping[str, tuple[OverrideRule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[OverrideRule]] = {}
        for rule in self.rules:
            index.setdefault(rule.carc, []).append(rule)
        # most specific first; file order breaks ties (sorted() is stable)
        frozen = {k: tuple(sorted(v, key=lambda r: -r.specificity)) for k, v in index.items()}
        object.__setattr__(self, "_by_carc", MappingProxyType(frozen))

    def match(
        self,
        payer_id: str | None,
        group_code: str,
        carc: str,
        rarcs: Sequence[str] = (),
        claim_status: str | None = None,
    ) -> OverrideRule | None:
        """The most specific rule for these codes (and the claim's CLP02), or ``None``."""
        for rule in self._by_carc.get(carc, ()):
            if rule.payer_id not in (ANY, payer_id):
                continue
            if rule.group_code not in (ANY, group_code):
                continue
            if rule.rarc is not None and rule.rarc not in rarcs:
                continue
            if rule.claim_status is not None and rule.claim_status != claim_status:
                continue
            return rule
        return None


def _check_row(
    row: Mapping[str, str], where: str, kb: KnowledgeBase | None
) -> tuple[OverrideRule | None, list[str], list[str]]:
    problems: list[str] = []
    warnings: list[str] = []
    payer, group, carc = row["payer_id"], row["group_code"].upper(), row["carc"].upper()
    rarc = row["rarc"].upper() or None
    action, route = row["action"], row["route"]
    if not payer:
        problems.append(f"{where}: column payer_id: expected a payer id or *, got nothing")
    if group not in (*GROUPS, ANY):
        problems.append(
            f"{where}: column group_code: expected one of {', '.join(GROUPS)} or *, got {group!r}"
        )
    if not carc:
        problems.append(f"{where}: column carc: expected a claim adjustment reason code")
    elif kb is not None and carc not in kb.carc:
        warnings.append(f"{where}: carc {carc} is not in the knowledge base (kept as written)")
    if kb is not None and rarc is not None and rarc not in kb.rarc:
        warnings.append(f"{where}: rarc {rarc} is not in the knowledge base (kept as written)")
    if action not in ACTIONS:
        problems.append(
            f"{where}: column action: expected one of {', '.join(ACTIONS)}, got {action!r}"
        )
    if not route and action in ACTIONS:
        route = ACTION_ROUTE[action]
    if route not in ROUTES and (route or action in ACTIONS):
        problems.append(
            f"{where}: column route: expected one of {', '.join(ROUTES)}, got {route!r}"
        )
    patient = route == v.PATIENT_STATEMENTS or action == "bill_patient"
    if patient and (route != v.PATIENT_STATEMENTS or action != "bill_patient"):
        problems.append(
            f"{where}: action bill_patient and route patient_statements go together "
            f"(got action {action!r}, route {route!r})"
        )
    if patient and group in (*NO_PATIENT_GROUPS, ANY):
        problems.append(
            f"{where}: a {group if group != ANY else 'CO (group *)'} amount is never billed to the "
            "patient; this rule is rejected (a rule may send only PR, OA or CR to "
            "patient_statements)"
        )
    status = row.get("claim_status", "") or None
    problems += _status_problems(where, status, group, action, route)
    if problems:
        return None, problems, warnings
    rule = OverrideRule(payer, group, carc, rarc, action, route, row["note"], claim_status=status)
    return rule, problems, warnings


def _status_problems(
    where: str, status: str | None, group: str, action: str, route: str
) -> list[str]:
    """What principle 0 rules out: it decides first, and its routes are its own."""
    problems: list[str] = []
    if action in PRINCIPLE_0_ACTIONS or route in PRINCIPLE_0_ROUTES:
        problems.append(
            f"{where}: action record_estimate and route predeterminations belong to "
            "predetermination claims (CLP02 25) only, which no rule changes"
        )
    if status is None:
        return problems
    if status not in VALID_STATUSES:
        problems.append(
            f"{where}: column claim_status: expected a CLP02 code of the 835 "
            f"({', '.join(sorted(VALID_STATUSES, key=int))}) or nothing, got {status!r}"
        )
    elif status in (PREDETERMINATION, NOT_OUR_CLAIM):
        problems.append(
            f"{where}: claim status {status} decides every adjustment of the claim before any "
            "rule (ROUTING.md principle 0); this rule would never apply"
        )
    elif status in FORWARDED_STATUSES and group == "PR":
        problems.append(
            f"{where}: the patient's share (PR) of a forwarded claim (claim status {status}) "
            "waits for the next payer before any rule (ROUTING.md principle 0); this rule would "
            "never apply"
        )
    return problems


def parse_overrides(
    text: str, source: str = "<memory>", kb: KnowledgeBase | None = None
) -> Overrides:
    """Validate a rules file; raise :class:`OverrideError` listing every problem."""
    numbered = [
        (i, ln)
        for i, ln in enumerate(text.splitlines(), start=1)
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not numbered:
        return Overrides((), "none", source)
    header_line, header_text = numbered[0]
    header = tuple(h.strip() for h in next(csv.reader([header_text])))
    if header not in (COLUMNS, COLUMNS_WITH_STATUS):
        raise OverrideError(
            [
                f"{source}:{header_line}: expected the header {','.join(COLUMNS)} (or "
                f"{','.join(COLUMNS_WITH_STATUS)}), got {header_text!r}"
            ]
        )
    problems: list[str] = []
    warnings: list[str] = []
    rules: list[OverrideRule] = []
    seen: dict[tuple[str, str, str, str | None, str | None], int] = {}
    for line, raw in numbered[1:]:
        where = f"{source}:{line}"
        values = next(csv.reader(io.StringIO(raw)))
        if len(values) != len(header):
            problems.append(f"{where}: expected {len(header)} columns, got {len(values)}")
            continue
        row = {k: v.strip() for k, v in zip(header, values, strict=True)}
        rule, row_problems, row_warnings = _check_row(row, where, kb)
        problems += row_problems
        warnings += row_warnings
        if rule is None:
            continue
        key = (rule.payer_id, rule.group_code, rule.carc, rule.rarc, rule.claim_status)
        if key in seen:
            problems.append(
                f"{where}: the same payer/group/carc/rarc/claim_status is already ruled on line "
                f"{seen[key]}"
            )
            continue
        seen[key] = line
        rules.append(
            OverrideRule(
                rule.payer_id,
                rule.group_code,
                rule.carc,
                rule.rarc,
                rule.action,
                rule.route,
                rule.note,
                line,
                source,
                rule.claim_status,
            )
        )
    if problems:
        raise OverrideError(problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return Overrides(tuple(rules), digest, source, tuple(warnings))


def load_overrides(path: str | Path, kb: KnowledgeBase | None = None) -> Overrides:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise OverrideError([f"{path}: cannot read the rules file: {exc}"]) from exc
    return parse_overrides(text, str(path), kb)
