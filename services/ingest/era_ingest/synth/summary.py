"""What a generator run produced: counts and totals (:class:`SynthSummary`) and, for small
outputs, the exact list of adjustments a parser must give back (:class:`ExpectedAdjustment`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal


def _dollars(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True, slots=True)
class ExpectedAdjustment:
    """One adjustment as it was written: what ``era parse`` must report for it.

    Field names follow docs/events.md. ``amount`` and ``quantity`` are the exact strings in the
    file. ``rarcs`` are the line's LQ*HE codes followed by the claim's MOA remarks for a line
    adjustment, the MOA remarks for a claim adjustment, nothing for PLB.
    """

    interchange: str
    transaction: str
    segment_no: int
    level: str
    claim_id: str | None
    claim_status: str | None
    line: int | None
    procedure: str | None
    modifiers: tuple[str, ...]
    group_code: str | None
    carc: str
    amount: str
    quantity: str | None
    rarcs: tuple[str, ...]
    plb_reference: str | None
    reversal: bool

    @property
    def key(self) -> tuple[str | None, int | None, str | None, str, str]:
        """``(claim_id, line, group_code, carc, amount)``: the identity tests compare."""
        return (self.claim_id, self.line, self.group_code, self.carc, self.amount)


@dataclass(slots=True)
class SynthSummary:
    """Counts and totals of one generator run.

    ``adjustments_by_code`` keys are ``GROUP-CARC`` (``CO-45``) for CAS triplets and
    ``PLB-CODE`` (``PLB-WO``) for provider-level adjustments; ``adjustments_by_group`` uses the
    CAS group code and ``PLB`` for provider level. Dollar totals are exact Decimals.
    ``expected`` is filled only when the run was asked to record adjustments.
    """

    bytes: int = 0
    segments: int = 0
    interchanges: int = 0
    functional_groups: int = 0
    transactions: int = 0
    claims: int = 0
    reversals: int = 0
    lines: int = 0
    adjustments: int = 0
    adjustments_by_level: dict[str, int] = field(default_factory=dict)
    adjustments_by_group: dict[str, int] = field(default_factory=dict)
    adjustments_by_code: dict[str, int] = field(default_factory=dict)
    amount_by_code: dict[str, Decimal] = field(default_factory=dict)
    total_adjustment_amount: Decimal = Decimal(0)
    total_charge: Decimal = Decimal(0)
    total_claim_paid: Decimal = Decimal(0)
    total_plb: Decimal = Decimal(0)
    total_payment: Decimal = Decimal(0)
    expected: list[ExpectedAdjustment] | None = None


class Tally:
    """Running totals in integer cents while the generator writes; :meth:`summary` freezes them."""

    def __init__(self, record: bool) -> None:
        self.counts: Counter[str] = Counter()
        self.by_level: Counter[str] = Counter()
        self.by_group: Counter[str] = Counter()
        self.by_code: Counter[str] = Counter()
        self.cents_by_code: Counter[str] = Counter()
        self.cents: Counter[str] = Counter()
        self.expected: list[ExpectedAdjustment] | None = [] if record else None

    def adjustment(self, level: str, group: str | None, carc: str, cents: int) -> None:
        """Count one CAS triplet or PLB adjustment."""
        key = f"{group}-{carc}" if group else f"PLB-{carc}"
        self.counts["adjustments"] += 1
        self.by_level[level] += 1
        self.by_group[group or "PLB"] += 1
        self.by_code[key] += 1
        self.cents_by_code[key] += cents
        self.cents["adjustments"] += cents

    def summary(self, byte_count: int) -> SynthSummary:
        """The final :class:`SynthSummary` for ``byte_count`` bytes written."""
        c = self.counts
        return SynthSummary(
            bytes=byte_count,
            segments=c["segments"],
            interchanges=c["interchanges"],
            functional_groups=c["functional_groups"],
            transactions=c["transactions"],
            claims=c["claims"],
            reversals=c["reversals"],
            lines=c["lines"],
            adjustments=c["adjustments"],
            adjustments_by_level=dict(sorted(self.by_level.items())),
            adjustments_by_group=dict(sorted(self.by_group.items())),
            adjustments_by_code=dict(sorted(self.by_code.items())),
            amount_by_code={k: _dollars(v) for k, v in sorted(self.cents_by_code.items())},
            total_adjustment_amount=_dollars(self.cents["adjustments"]),
            total_charge=_dollars(self.cents["charge"]),
            total_claim_paid=_dollars(self.cents["claim_paid"]),
            total_plb=_dollars(self.cents["plb"]),
            total_payment=_dollars(self.cents["payment"]),
            expected=self.expected,
        )
