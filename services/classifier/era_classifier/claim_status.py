"""ROUTING.md principle 0: the claim's status (CLP02) decides before the code does.

:func:`read_claim` says how an adjustment's claim is read — a predetermination (25), a claim not
this payer's (23), a reversal (22), a claim forwarded to another payer (19/20/21, a crossover
carrier on NM1*TT, or a claim remark MA18/MA07/N89), denied (4), processed (1/2/3), or a status
an 835 cannot carry — and which signals made it forwarded. Everything it needs is on the single
event, so the worker (one event at a time) and ``era explain`` (whole claims) read alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from era_classifier.decision import Decision, Ids
from era_classifier.kb import CarcEntry

PREDETERMINATION = "25"
NOT_OUR_CLAIM = "23"
REVERSAL = "22"
DENIED = "4"
FORWARDED_STATUSES = frozenset({"19", "20", "21"})
VALID_STATUSES = frozenset({"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"})
"""The CLP02 codes of the 835 (005010X221A1); the others of the list are 277 claim statuses."""
FORWARDING_REMARKS = ("MA18", "MA07", "N89")
"""Claim remarks saying the claim information went on to another payer."""

READINGS = (
    "processed",
    "denied",
    "reversal",
    "predetermination",
    "forwarded",
    "not_our_claim",
    "unexpected_status",
)

_STATUS_WORDS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary",
    "20": "processed as secondary",
    "21": "processed as tertiary",
    "22": "reversal of an earlier payment",
    "23": "not our claim",
    "25": "predetermination — estimate only",
}


@dataclass(frozen=True, slots=True)
class ClaimReading:
    """How one adjustment's claim is read: ``reading`` (one of :data:`READINGS`, ``None`` on
    provider level), the CLP02 it came from, the forwarding signals and the carrier named."""

    reading: str | None
    status: str | None = None
    forwarded_by: tuple[str, ...] = ()
    carrier: str | None = None

    @classmethod
    def of_record(cls, record: Mapping[str, object]) -> ClaimReading:
        """The reading a classified record carries (``claim_reading``, ``forwarded_by``)."""
        reading, status = record.get("claim_reading"), record.get("claim_status")
        forwarded_by, carrier = record.get("forwarded_by"), record.get("crossover_carrier")
        return cls(
            reading if isinstance(reading, str) else None,
            status if isinstance(status, str) else None,
            tuple(str(s) for s in forwarded_by) if isinstance(forwarded_by, list | tuple) else (),
            carrier if isinstance(carrier, str) and carrier else None,
        )

    @property
    def forwarded(self) -> bool:
        """Whether the claim went on to another payer (a reversal may be of such a claim)."""
        return bool(self.forwarded_by) and self.reading in ("forwarded", "reversal")

    def describe(self) -> str:
        """The reading in words, for a biller: ``forwarded to SUPPLEMENT MUTUAL``."""
        if self.reading is None:
            return "provider level"
        if self.reading == "unexpected_status":
            return f"claim status {self.status or '(none)'} — not valid in an 835"
        words = _STATUS_WORDS.get(self.status or "", self.reading)
        if self.forwarded or self.reading == "not_our_claim":
            signals = f" ({', '.join(self.forwarded_by)})" if self.forwarded_by else ""
            return f"{words}, forwarded to {self.carrier or 'another payer'}{signals}"
        return words


def _signals(adjustment: Mapping[str, object], status: str) -> tuple[tuple[str, ...], str | None]:
    signals: list[str] = []
    if status in FORWARDED_STATUSES:
        signals.append(f"CLP02={status}")
    carrier = adjustment.get("crossover_carrier")
    carrier = carrier.strip() if isinstance(carrier, str) else None
    if carrier:
        signals.append("NM1*TT")
    rarcs = adjustment.get("rarcs")
    if isinstance(rarcs, list | tuple):
        signals.extend(code for code in FORWARDING_REMARKS if code in rarcs)
    return tuple(signals), carrier or None


def read_claim(adjustment: Mapping[str, object]) -> ClaimReading:
    """Principle 0's reading of the claim an adjustment belongs to."""
    if adjustment.get("level") == "provider":
        return ClaimReading(None)
    raw = adjustment.get("claim_status")
    status = raw.strip() if isinstance(raw, str) else ""
    if status == PREDETERMINATION:
        return ClaimReading("predetermination", status)
    if status not in VALID_STATUSES:
        return ClaimReading("unexpected_status", status or None)
    forwarded_by, carrier = _signals(adjustment, status)
    if status == NOT_OUR_CLAIM:
        reading = "not_our_claim"
    elif status == REVERSAL:
        reading = "reversal"
    elif forwarded_by:
        reading = "forwarded"
    elif status == DENIED:
        reading = "denied"
    else:
        reading = "processed"
    return ClaimReading(reading, status, forwarded_by, carrier)


def decide_claim_status(
    adjustment: Mapping[str, object],
    reading: ClaimReading,
    ids: Ids,
    entry: CarcEntry | None,
) -> Decision | None:
    """Principle 0: the decisions the claim's status makes before any code is looked at."""
    category = entry.category if entry is not None else "unknown"
    flags = [] if entry is not None else ["unknown_code"]
    if ids.group is None:
        flags.append("missing_group_code")
    if reading.reading == "predetermination":
        facts = [
            f"{name} {value}"
            for name, value in (
                ("estimated payer payment", adjustment.get("estimated_payment")),
                ("allowed", adjustment.get("allowed_amount")),
            )
            if value is not None
        ]
        return Decision(
            category,
            "record_estimate",
            "R0-predetermination",
            f"{ids.label}: predetermination (CLP02 25), the payer's estimate for treatment "
            f"not done yet{' — ' + ', '.join(facts) if facts else ''}; record the estimate, "
            "post nothing and bill no one.",
            "no",
            flags=flags,
        )
    if reading.reading == "unexpected_status":
        return Decision(
            category,
            "review",
            "R0-unexpected-claim-status",
            f"{ids.label}: claim status (CLP02) {reading.status or '(none)'} is not valid in "
            "an 835, so what the payer decided is unknown; review it.",
            "conditional",
            flags=[*flags, "unexpected_claim_status"],
        )
    if reading.reading == "not_our_claim":
        return Decision(
            category,
            "track_forwarded",
            "R0-not-our-claim",
            f"{ids.label}: not this payer's claim (CLP02 23), forwarded to "
            f"{reading.carrier or 'another payer'}; track it and do not rebill (a rebill "
            "creates a duplicate).",
            "no",
            flags=flags,
        )
    if reading.forwarded and ids.group == "PR":
        return Decision(
            category,
            "await_next_payer",
            "R0-forwarded-patient-share",
            f"{ids.label}: the claim was forwarded to {reading.carrier or 'the next payer'} "
            f"({', '.join(reading.forwarded_by)}), which will likely pay part of the "
            "patient's share; do not bill the patient until that payer has answered.",
            "no",
            flags=flags,
        )
    return None
