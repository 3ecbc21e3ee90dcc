"""Pure classification of ERA adjustments (ROUTING.md principles, in their order of precedence).

``Classifier.classify(adjustment, claim_context)`` maps one Adjustment event (a dict with the
fields of docs/events.md) to the ClassifiedAdjustment fields it adds, and nothing else. No I/O,
no Kafka: the knowledge base, fee schedule and deployment rules are loaded and validated before.

Decision order (first match wins, then the post-checks run on every result):

0. The claim's status (principle 0, :mod:`era_classifier.claim_status`), whatever the group and
   code: CLP02 25 -> predeterminations / record_estimate; a status not valid in an 835 ->
   review (flag ``unexpected_claim_status``); CLP02 23 -> cob_rebill / track_forwarded; PR of a
   forwarded claim (19/20/21, NM1*TT, remark MA18/MA07/N89) -> cob_rebill / await_next_payer.
   The other adjustments of a forwarded claim go on to the steps below.
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

from collections.abc import Mapping, Sequence
from decimal import Decimal

from era_classifier.claim_status import decide_claim_status, read_claim
from era_classifier.claims import (
    ClaimContext,
    claim_key,
    is_reversal,
    line_key,
    to_date,
    to_decimal,
)
from era_classifier.decision import Decision as _Decision
from era_classifier.decision import Ids as _Ids
from era_classifier.fee_schedule import FeeSchedule
from era_classifier.kb import ACTION_ROUTE, CarcEntry, KnowledgeBase
from era_classifier.links import LINK_FIELDS
from era_classifier.overrides import OverrideRule, Overrides
from era_classifier.wording import ADVICE, CO45_WRITEOFF, RULE_BY_ACTION, short_description
from era_contract import vocabulary as v
from era_contract.vocabulary import NO_PATIENT_GROUPS

__all__ = ["RULES_VERSION", "ClaimContext", "Classifier", "claim_key"]

RULES_VERSION = "2026.10.1"
UNKNOWN_RARC = "(remark code not in the knowledge base)"
_CENT = Decimal("0.01")
_NO_LINKS: dict[str, object] = dict.fromkeys(LINK_FIELDS)
_COB_ACTIONS = frozenset(
    {
        "obtain_cob",
        "rebill_other_plan",
        "rebill_correct_payer",
        "track_forwarded",
        "verify_cob",
        "await_next_payer",
    }
)


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
        reading = read_claim(adjustment)
        if adjustment.get("level") == "provider":
            # PLB reason codes are their own list: "72" here is not CARC 72.
            entry = None
            decision = self._plb(carc)
            description = self.kb.plb[carc].description if carc in self.kb.plb else None
            group = None
        else:
            entry = self.kb.carc.get(carc)
            ids = _Ids(carc, group, rarcs)
            decision = decide_claim_status(adjustment, reading, ids, entry) or self._decide(
                adjustment, claim_context, ids, entry
            )
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
            "claim_reading": reading.reading,
            "forwarded_by": list(reading.forwarded_by),
            **_NO_LINKS,  # filled by era_classifier.links, which needs what came before
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
            status = adjustment.get("claim_status")
            rule = self.overrides.match(
                payer if isinstance(payer, str) else None,
                ids.group,
                ids.carc,
                ids.rarcs,
                status if isinstance(status, str) else None,
            )
        if entry is None:
            return self._unknown(ids, rule)
        if ids.group in entry.invalid_groups:
            return _Decision(
                entry.category,
                "review",
                "pairing-invalid",
                f"{ids.label}: group {ids.group} makes no sense with CARC {ids.carc} "
                f"({short_description(entry.description, 80)}); ask the payer or review before"
                " posting.",
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
            rule_id = RULE_BY_ACTION[action] + "-cr"
        else:
            rule_id = RULE_BY_ACTION[action]
        if ids.carc == "45" and group == "CO":
            advice = CO45_WRITEOFF
        else:
            advice = f"{short_description(entry.description)} — {ADVICE[action]}"
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
            f"{label}: deployment rule{note} — {ADVICE.get(rule.action, rule.action)}.",
            appealable,
            route=rule.route,
        )

    @staticmethod
    def _hidden_denial(adjustment: Mapping[str, object], entry: CarcEntry) -> _Decision | None:
        """CO-45 for the whole line (claim) charge: a denial in disguise (compared unsigned)."""
        amount = to_decimal(adjustment.get("amount"))
        line_level = adjustment.get("level") == "line"
        charge = to_decimal(adjustment.get("line_charge" if line_level else "claim_charge"))
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
        units = to_decimal(adjustment.get("units")) or Decimal(1)
        expected = (contracted * abs(units)).quantize(_CENT)
        allowed = self._allowed(adjustment, context, to_decimal(adjustment.get("line_charge")))
        if allowed is None:
            return _Decision(
                entry.category,
                "writeoff",
                RULE_BY_ACTION["writeoff"],
                f"CO-45: {CO45_WRITEOFF} (the allowed amount was not on the event, so the fee "
                "schedule could not be checked).",
                entry.appealable,
                flags=["fee_check_skipped"],
            )
        if allowed >= expected - self.tolerance:
            return None
        amount = to_decimal(adjustment.get("amount"))
        negative = is_reversal(adjustment) or (amount is not None and amount < 0)
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
        allowed = to_decimal(adjustment.get("allowed_amount"))
        if allowed is not None:
            return abs(allowed)
        line = line_key(adjustment)
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
        reversal = is_reversal(adjustment)
        if entry is not None and not reversal:
            remit = to_date(adjustment.get("remit_date"))
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
            decision.route == v.PATIENT_STATEMENTS or decision.action == "bill_patient"
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
            and decision.route == v.PATIENT_STATEMENTS
            and decision.action == "bill_patient"
        )
        return who, billable
