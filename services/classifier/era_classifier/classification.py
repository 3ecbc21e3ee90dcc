"""Pure classification of ERA adjustments (ROUTING.md principles, in their order of precedence).

``Classifier.classify(adjustment, claim_context)`` maps one Adjustment event (a dict with the
fields of docs/events.md) to the ClassifiedAdjustment fields it adds, and nothing else. No I/O,
no Kafka: the knowledge base, fee schedule and deployment rules are loaded and validated before.

Decision order (first match wins, then the post-checks run on every result):

1. PLB (``level = provider``) -> provider_level / review.
2. Missing group code -> review (flag ``missing_group_code``).
3. CARC not in the code list -> unknown / review (flag ``unknown_code``), unless a deployment
   rule names it.
4. Group/code pairing the code list rules out (PR-253, CO-1, CO-23 ...) -> review
   (flag ``group_code_mismatch``).
5. CO-45 checks: amount = whole line (claim) charge -> appeals / review_hidden_denial; allowed
   below the contracted fee -> appeals / dispute_underpayment.
6. Deployment rule (payer, group, CARC[, RARC]).
7. The knowledge-base table: PR -> bill_patient; other-plan codes -> cob_rebill; pricing
   reductions -> writeoff; 18 -> verify_duplicate; fixable denials -> appeals; OA (not 23) ->
   review; CR follows the code's natural group.

Post-checks: deactivated code used on/after its stop date (by ``remit_date``; reversals exempt)
-> flag ``deactivated_code``; ``balance_error`` -> review + flag; a CO/PI amount headed for the
patient -> review + flag ``co_patient_blocked`` (principle 1; the router checks again).

The single-event path (the worker, one Adjustment at a time) has no siblings: the hidden-denial
check needs only the event's own ``line_charge``/``claim_charge``, and the underpayment check uses
``allowed_amount`` (AMT*B6). When that is absent the check needs the line's other CO adjustments:
pass a :class:`ClaimContext` (``classify_claim`` does), otherwise the check is skipped and the
flag ``fee_check_skipped`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from era_classifier.fee_schedule import FeeSchedule
from era_classifier.kb import ACTION_ROUTE, NO_PATIENT_GROUPS, CarcEntry, KnowledgeBase
from era_classifier.overrides import OverrideRule, Overrides

RULES_VERSION = "2026.10.1"
UNKNOWN_RARC = "(remark code not in the knowledge base)"
_CENT = Decimal("0.01")
_CO45_WRITEOFF = (
    "the charge exceeds the contracted fee; write off — not appealable unless the allowed amount "
    "is below contract"
)
_COB_ACTIONS = frozenset(
    {"obtain_cob", "rebill_other_plan", "rebill_correct_payer", "track_forwarded", "verify_cob"}
)
# rule ids of the default table, by action (ROUTING.md principle numbers)
_RULE_BY_ACTION = {
    "bill_patient": "R2-patient-responsibility",
    "obtain_cob": "R3-obtain-cob",
    "rebill_other_plan": "R3-rebill-other-plan",
    "rebill_correct_payer": "R3-rebill-correct-payer",
    "track_forwarded": "R3-track-forwarded",
    "verify_cob": "R3-verify-cob",
    "writeoff": "R4-contractual-writeoff",
    "verify_duplicate": "R5-duplicate",
    "corrected_claim": "R6-corrected-claim",
    "appeal_with_proof": "R6-appeal-with-proof",
    "verify_bundling": "R6-verify-bundling",
    "review_and_decide": "R6-review-and-decide",
    "appeal": "R6-appeal",
    "review": "R7-review",
}
_ADVICE = {
    "bill_patient": "patient responsibility; bill the patient",
    "obtain_cob": "obtain the patient's other coverage and bill the primary payer first",
    "rebill_other_plan": "recode and rebill the patient's other plan",
    "rebill_correct_payer": "send the claim to the correct payer",
    "track_forwarded": "the payer already forwarded the claim; track it and do not rebill "
    "(a rebill creates a duplicate)",
    "verify_cob": "check the COB math against the primary payer's payment; not a rebill",
    "writeoff": "contractual or pricing reduction; write off — not appealable",
    "verify_duplicate": "find the original claim, which holds the balance; do not write this off "
    "(that would write the money off twice)",
    "corrected_claim": "fix the claim and send a corrected claim",
    "appeal_with_proof": "appeal with proof of timely filing",
    "verify_bundling": "check the bundling edit; appeal or correct the modifiers if it is wrong",
    "review_and_decide": "review the plan's rules before writing off or billing anyone",
    "appeal": "denial; appeal if the payer is wrong, otherwise write off after review",
    "review": "needs a billing lead's review",
    "review_hidden_denial": "treat it as a denial hidden in a contractual adjustment; review it",
    "dispute_underpayment": "dispute the payment against the contracted fee",
}


def _dec(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _iso(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


_USE_ONLY = re.compile(r"\s*\((?:Use|Only used)[^)]*\)\.?", re.IGNORECASE)


def _short(text: str, limit: int = 110) -> str:
    """First sentence of an official description, for the one-line explanation."""
    first = text.split(" Usage:", maxsplit=1)[0].split(" Note:", maxsplit=1)[0]
    first = _USE_ONLY.sub("", first).strip()
    end = first.find(". ")
    if end != -1:
        first = first[: end + 1]
    first = first.rstrip(".")
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _is_reversal(adjustment: Mapping[str, object]) -> bool:
    """CLP02 = 22: the claim reverses an earlier payment."""
    return adjustment.get("reversal") is True or adjustment.get("claim_status") == "22"


def _line_key(adjustment: Mapping[str, object]) -> int | None:
    line = adjustment.get("line")
    return line if isinstance(line, int) and adjustment.get("level") == "line" else None


@dataclass(frozen=True, slots=True)
class ClaimContext:
    """Facts about one claim's other adjustments: the CO total per service line."""

    co_total_by_line: Mapping[int, Decimal] = field(default_factory=dict)

    @classmethod
    def from_adjustments(cls, adjustments: Sequence[Mapping[str, object]]) -> ClaimContext:
        totals: dict[int, Decimal] = {}
        for adj in adjustments:
            line = _line_key(adj)
            amount = _dec(adj.get("amount"))
            if line is None or amount is None or adj.get("group_code") != "CO":
                continue
            totals[line] = totals.get(line, Decimal(0)) + amount
        return cls(totals)


def claim_key(adjustment: Mapping[str, object]) -> tuple[object, ...]:
    """Identity of the claim an adjustment belongs to (a reversal and its correction differ)."""
    return tuple(
        adjustment.get(k)
        for k in (
            "file",
            "interchange",
            "functional_group",
            "transaction",
            "claim_id",
            "claim_status",
            "payer_claim_id",
            "claim_charge",
        )
    )


@dataclass(frozen=True, slots=True)
class _Ids:
    carc: str
    group: str | None
    rarcs: Sequence[str]

    @property
    def label(self) -> str:
        return f"{self.group}-{self.carc}" if self.group else self.carc


@dataclass(slots=True)
class _Decision:
    category: str
    action: str
    rule_id: str
    explanation: str
    appealable: str
    route: str = ""
    flags: list[str] = field(default_factory=list)
    expected_amount: str | None = None


class Classifier:
    """Classifies adjustments; build once (validated inputs), call ``classify`` per event."""

    def __init__(
        self,
        kb: KnowledgeBase,
        fee_schedule: FeeSchedule | None = None,
        overrides: Overrides | None = None,
        *,
        underpayment_tolerance: Decimal = Decimal(0),
    ) -> None:
        self.kb = kb
        self.fee_schedule = fee_schedule if fee_schedule is not None and len(fee_schedule) else None
        self.overrides = overrides if overrides is not None and overrides.rules else None
        self.tolerance = underpayment_tolerance
        self.kb_version = kb.version
        self.rules_version = (
            RULES_VERSION if self.overrides is None else f"{RULES_VERSION}+{self.overrides.version}"
        )

    # -- public API -------------------------------------------------------------------------

    def classify(
        self, adjustment: Mapping[str, object], claim_context: ClaimContext | None = None
    ) -> dict[str, object]:
        """The classification fields for one adjustment (only the fields the classifier adds)."""
        carc = str(adjustment.get("carc") or "").strip().upper()
        group = str(adjustment.get("group_code") or "").strip().upper() or None
        raw_rarcs = adjustment.get("rarcs")
        rarcs = [str(r) for r in raw_rarcs] if isinstance(raw_rarcs, list | tuple) else []
        if adjustment.get("level") == "provider":
            # PLB reason codes are their own list: "72" here is not CARC 72.
            entry = None
            decision = self._plb(carc)
            description = self.kb.plb[carc].description if carc in self.kb.plb else None
            group = None
        else:
            entry = self.kb.carc.get(carc)
            decision = self._decide(adjustment, claim_context, _Ids(carc, group, rarcs), entry)
            description = entry.description if entry is not None else None
        decision.route = decision.route or ACTION_ROUTE[decision.action]
        self._post_checks(adjustment, decision, group, carc, entry)
        who_pays, billable = self._payer(decision, group, entry)
        upstream = entry.upstream_cause if entry is not None else None
        if group == "PR" and entry is not None and entry.natural_group != "PR":
            upstream = "verification"  # a PR surprise: benefits were not verified up front
        rarc_descriptions = [self.kb.rarc.get(r, UNKNOWN_RARC) for r in rarcs]
        if any(r not in self.kb.rarc for r in rarcs):
            decision.flags.append("unknown_rarc")
        return {
            "category": decision.category,
            "action": decision.action,
            "route": decision.route,
            "appealable": decision.appealable,
            "who_pays": who_pays,
            "patient_billable": billable,
            "upstream_cause": upstream,
            "rule_id": decision.rule_id,
            "explanation": decision.explanation,
            "carc_description": description,
            "rarc_descriptions": rarc_descriptions,
            "flags": decision.flags,
            "expected_amount": decision.expected_amount,
            "kb_version": self.kb_version,
            "rules_version": self.rules_version,
        }

    def classify_claim(
        self, adjustments: Sequence[Mapping[str, object]]
    ) -> list[dict[str, object]]:
        """Classify all adjustments of a claim (or of several; grouped by :func:`claim_key`)."""
        groups: dict[tuple[object, ...], list[Mapping[str, object]]] = {}
        for adj in adjustments:
            groups.setdefault(claim_key(adj), []).append(adj)
        contexts = {k: ClaimContext.from_adjustments(v) for k, v in groups.items()}
        return [self.classify(adj, contexts[claim_key(adj)]) for adj in adjustments]

    # -- decision steps ---------------------------------------------------------------------

    def _plb(self, code: str) -> _Decision:
        plb = self.kb.plb.get(code)
        if plb is None:
            return _Decision(
                "provider_level",
                "review",
                "R8-provider-level",
                f"PLB {code or '(none)'}: "
                "provider-level adjustment with a reason code not in the PLB list; review it.",
                "conditional",
                flags=["unknown_code"],
            )
        return _Decision(
            "provider_level",
            "review",
            "R8-provider-level",
            f"PLB {code} ({plb.description}): provider-level adjustment, not tied to a claim "
            f"line — {plb.note[0].lower() + plb.note[1:] if plb.note else ''} Review it.",
            "conditional",
        )

    def _decide(
        self,
        adjustment: Mapping[str, object],
        context: ClaimContext | None,
        ids: _Ids,
        entry: CarcEntry | None,
    ) -> _Decision:
        if ids.group is None:
            return _Decision(
                entry.category if entry is not None else "unknown",
                "review",
                "missing-group-code",
                f"{ids.label}: the adjustment has no group code, so who owes it is unknown; "
                "review it.",
                "conditional",
                flags=["missing_group_code"],
            )
        rule = None
        if self.overrides is not None:
            payer = adjustment.get("payer_id")
            rule = self.overrides.match(
                payer if isinstance(payer, str) else None, ids.group, ids.carc, ids.rarcs
            )
        if entry is None:
            return self._unknown(ids, rule)
        if ids.group in entry.invalid_groups:
            return _Decision(
                entry.category,
                "review",
                "pairing-invalid",
                f"{ids.label}: group {ids.group} makes no sense with CARC {ids.carc} "
                f"({_short(entry.description, 80)}); ask the payer or review before posting.",
                "conditional",
                flags=["group_code_mismatch"],
            )
        if ids.carc == "45" and ids.group == "CO":
            decision = self._hidden_denial(adjustment, entry) or self._underpayment(
                adjustment, context, entry
            )
            if decision is not None:
                return decision
        if rule is not None:
            return self._override(rule, ids.label, entry.category, entry.appealable)
        return self._table(ids, entry)

    def _unknown(self, ids: _Ids, rule: OverrideRule | None) -> _Decision:
        if rule is not None:
            decision = self._override(rule, ids.label, "unknown", "conditional")
        else:
            decision = _Decision(
                "unknown",
                "review",
                "R7-unknown-code",
                f"{ids.label}: code {ids.carc or '(none)'} is not in the X12 CARC list "
                f"(knowledge base {self.kb_version}); review it.",
                "conditional",
            )
        decision.flags.append("unknown_code")
        return decision

    @staticmethod
    def _table(ids: _Ids, entry: CarcEntry) -> _Decision:
        group = ids.group or ""
        action = entry.action_for(group)
        if group == "OA" and action == "review":
            rule_id = "R7-other-adjustment"
        elif group == "CR":
            rule_id = _RULE_BY_ACTION[action] + "-cr"
        else:
            rule_id = _RULE_BY_ACTION[action]
        if ids.carc == "45" and group == "CO":
            advice = _CO45_WRITEOFF
        else:
            advice = f"{_short(entry.description)} — {_ADVICE[action]}"
        return _Decision(
            entry.category,
            action,
            rule_id,
            f"{ids.label}: {advice}.",
            "no" if action == "bill_patient" else entry.appealable,
        )

    @staticmethod
    def _override(rule: OverrideRule, label: str, category: str, appealable: str) -> _Decision:
        note = f" ({rule.note})" if rule.note else ""
        return _Decision(
            category,
            rule.action,
            rule.rule_id,
            f"{label}: deployment rule{note} — {_ADVICE.get(rule.action, rule.action)}.",
            appealable,
            route=rule.route,
        )

    @staticmethod
    def _hidden_denial(adjustment: Mapping[str, object], entry: CarcEntry) -> _Decision | None:
        """CO-45 for the whole line (claim) charge: a denial in disguise (compared unsigned)."""
        amount = _dec(adjustment.get("amount"))
        line_level = adjustment.get("level") == "line"
        charge = _dec(adjustment.get("line_charge" if line_level else "claim_charge"))
        if amount is None or charge is None or charge == 0 or abs(amount) < abs(charge):
            return None
        return _Decision(
            entry.category,
            "review_hidden_denial",
            "R4-co45-hidden-denial",
            f"CO-45: the adjustment ({amount}) equals the whole {'line' if line_level else 'claim'}"
            f" charge ({charge}) — a denial disguised as a fee-schedule reduction, which the "
            "code's usage note forbids; review it as a denial, do not write it off.",
            "yes",
        )

    def _underpayment(
        self, adjustment: Mapping[str, object], context: ClaimContext | None, entry: CarcEntry
    ) -> _Decision | None:
        """CO-45 on a line whose allowed amount is below the contracted fee."""
        payer, procedure = adjustment.get("payer_id"), adjustment.get("procedure")
        if (
            self.fee_schedule is None
            or adjustment.get("level") != "line"
            or not isinstance(payer, str)
            or not isinstance(procedure, str)
        ):
            return None
        npi = adjustment.get("payee_npi")
        contracted = self.fee_schedule.lookup(
            payer, procedure, npi if isinstance(npi, str) else None
        )
        if contracted is None:
            return None
        units = _dec(adjustment.get("units")) or Decimal(1)
        expected = (contracted * abs(units)).quantize(_CENT)
        allowed = self._allowed(adjustment, context, _dec(adjustment.get("line_charge")))
        if allowed is None:
            return _Decision(
                entry.category,
                "writeoff",
                _RULE_BY_ACTION["writeoff"],
                f"CO-45: {_CO45_WRITEOFF} (the allowed amount was not on the event, so the fee "
                "schedule could not be checked).",
                entry.appealable,
                flags=["fee_check_skipped"],
            )
        if allowed >= expected - self.tolerance:
            return None
        amount = _dec(adjustment.get("amount"))
        negative = _is_reversal(adjustment) or (amount is not None and amount < 0)
        return _Decision(
            entry.category,
            "dispute_underpayment",
            "R4-co45-underpayment",
            f"CO-45: the payer allowed {allowed} for {procedure} but the contract allows "
            f"{expected}; dispute the underpayment of {expected - allowed}.",
            "yes",
            expected_amount=str(-expected if negative else expected),
        )

    @staticmethod
    def _allowed(
        adjustment: Mapping[str, object], context: ClaimContext | None, charge: Decimal | None
    ) -> Decimal | None:
        allowed = _dec(adjustment.get("allowed_amount"))
        if allowed is not None:
            return abs(allowed)
        line = _line_key(adjustment)
        if (
            context is None
            or charge is None
            or line is None
            or line not in context.co_total_by_line
        ):
            return None
        return abs(charge - context.co_total_by_line[line])

    def _post_checks(
        self,
        adjustment: Mapping[str, object],
        decision: _Decision,
        group: str | None,
        carc: str,
        entry: CarcEntry | None,
    ) -> None:
        label = f"{group}-{carc}" if group else carc
        reversal = _is_reversal(adjustment)
        if entry is not None and not reversal:
            remit = _iso(adjustment.get("remit_date"))
            if entry.used_after_stop(remit):
                decision.flags.append("deactivated_code")
                decision.explanation += (
                    f" Note: CARC {carc} was deactivated on {entry.stop_date}; the payer should "
                    "not use it on a remittance dated after that."
                )
        balance_error = adjustment.get("balance_error")
        if balance_error:
            decision.flags.append("balance_error")
            decision.explanation = (
                f"{label}: the {adjustment.get('level') or 'claim'} does not balance "
                f"({balance_error}); review before posting — otherwise: {decision.explanation}"
            )
            decision.action, decision.route, decision.rule_id = "review", "review", "balance-error"
        if group in NO_PATIENT_GROUPS and (
            decision.route == "patient_statements" or decision.action == "bill_patient"
        ):
            decision.flags.append("co_patient_blocked")
            decision.explanation = (
                f"{label}: a {group} amount is never billed to the patient; a rule tried to send "
                "it to patient statements, so it goes to review."
            )
            decision.action, decision.route, decision.rule_id = "review", "review", "R1-co-guard"
        if reversal:
            decision.explanation = "Reversal of an earlier payment: " + decision.explanation

    @staticmethod
    def _payer(decision: _Decision, group: str | None, entry: CarcEntry | None) -> tuple[str, bool]:
        if decision.action in _COB_ACTIONS:
            who = "other_payer"
        elif group == "PR" and "group_code_mismatch" not in decision.flags:
            who = "patient"
        elif group in NO_PATIENT_GROUPS or entry is None or group is None:
            who = "provider"
        else:
            who = entry.who_pays
        billable = (
            group not in NO_PATIENT_GROUPS
            and group is not None
            and decision.route == "patient_statements"
            and decision.action == "bill_patient"
        )
        return who, billable
