"""Plain data of a generated remittance: claims, service lines and adjustments in integer cents.

Amounts are integer cents everywhere so balancing is exact; they become X12 decimal strings only
when a segment is written (:func:`money`).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

T = TypeVar("T")


def money(cents: int, fixed_decimals: bool = False) -> str:
    """Format integer cents as an X12 ``R`` value.

    Compact form drops trailing zeros (``132``, ``16.8``, ``-0.05``); ``fixed_decimals`` always
    prints two places (``132.00``) like many payers do.
    """
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    if fixed_decimals:
        return f"{sign}{whole}.{rest:02d}"
    if rest == 0:
        return f"{sign}{whole}"
    if rest % 10 == 0:
        return f"{sign}{whole}.{rest // 10}"
    return f"{sign}{whole}.{rest:02d}"


def pct(cents: int, percent: int) -> int:
    """``percent`` % of ``cents``, rounded half up to a whole cent (integer arithmetic only)."""
    return (cents * percent + 50) // 100


class Weighted(Generic[T]):
    """A fixed list of items with integer weights; :meth:`pick` is exact and portable."""

    __slots__ = ("_cumulative", "_items", "_total")

    def __init__(self, pairs: Sequence[tuple[T, int]]) -> None:
        self._items: list[T] = []
        self._cumulative: list[int] = []
        total = 0
        for item, weight in pairs:
            if weight <= 0:
                continue
            total += weight
            self._items.append(item)
            self._cumulative.append(total)
        if total == 0:
            raise ValueError("Weighted needs at least one positive weight")
        self._total = total

    def pick(self, rng: random.Random) -> T:
        """Draw one item with probability proportional to its weight."""
        return self._items[bisect.bisect_right(self._cumulative, rng.randrange(self._total))]


@dataclass(slots=True)
class Cas:
    """One adjustment triplet (group code, reason code, amount in cents, optional quantity)."""

    group: str
    carc: str
    amount: int
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """A patient or insured (NM1*QC / NM1*IL) or a rendering provider (NM1*82)."""

    last: str
    first: str
    ident: str


@dataclass(slots=True)
class Line:
    """A service line (loop 2110): SVC with its date, adjustments, allowed amount and remarks."""

    procedure: str
    modifiers: tuple[str, ...]
    charge: int
    paid: int
    units: int | None
    service_date: date | None
    cas: list[Cas] = field(default_factory=list)
    allowed: int | None = None
    rarcs: tuple[str, ...] = ()
    control: str = ""

    def check(self) -> None:
        """Raise AssertionError unless SVC02 - SVC03 equals the sum of the line's CAS amounts."""
        total = sum(c.amount for c in self.cas)
        if self.charge - self.paid != total:
            raise AssertionError(f"line {self.procedure} does not balance")


@dataclass(slots=True)
class Claim:
    """A claim payment (loop 2100) with its claim-level adjustments and service lines."""

    claim_id: str
    status: str
    filing: str
    payer_control: str
    patient: Person
    insured: Person | None
    rendering: Person | None
    lines: list[Line]
    cas: list[Cas] = field(default_factory=list)
    moa: tuple[str, ...] = ()
    statement_date: date | None = None
    received_date: date | None = None
    crossover: tuple[str, str] | None = None
    coverage_amount: int | None = None
    facility: str = "11"
    charge: int = 0
    paid: int = 0

    def all_cas(self) -> list[Cas]:
        """Claim-level then line-level adjustments."""
        out = list(self.cas)
        for line in self.lines:
            out.extend(line.cas)
        return out

    @property
    def patient_responsibility(self) -> int:
        """CLP05: the sum of every PR adjustment on the claim and its lines."""
        return sum(c.amount for c in self.all_cas() if c.group == "PR")

    def settle(self) -> None:
        """Set CLP03/CLP04 from the lines and claim-level CAS so that the claim balances."""
        if self.lines:
            self.charge = sum(line.charge for line in self.lines)
            self.paid = sum(line.paid for line in self.lines) - sum(c.amount for c in self.cas)
        else:
            self.paid = self.charge - sum(c.amount for c in self.cas)
        for line in self.lines:
            line.check()

    def negated(self, status: str) -> Claim:
        """A copy with every amount's sign flipped (a CLP02 = 22 reversal of this claim)."""
        lines = [
            Line(
                procedure=ln.procedure,
                modifiers=ln.modifiers,
                charge=-ln.charge,
                paid=-ln.paid,
                units=ln.units,
                service_date=ln.service_date,
                cas=[Cas(c.group, c.carc, -c.amount, c.quantity) for c in ln.cas],
                allowed=None if ln.allowed is None else -ln.allowed,
                rarcs=ln.rarcs,
                control=ln.control,
            )
            for ln in self.lines
        ]
        return Claim(
            claim_id=self.claim_id,
            status=status,
            filing=self.filing,
            payer_control=self.payer_control,
            patient=self.patient,
            insured=self.insured,
            rendering=self.rendering,
            lines=lines,
            cas=[Cas(c.group, c.carc, -c.amount, c.quantity) for c in self.cas],
            moa=self.moa,
            statement_date=self.statement_date,
            received_date=self.received_date,
            crossover=self.crossover,
            coverage_amount=None if self.coverage_amount is None else -self.coverage_amount,
            facility=self.facility,
            charge=-self.charge,
            paid=-self.paid,
        )
