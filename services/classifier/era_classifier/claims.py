"""What the classifier reads off an adjustment's claim: amounts, dates, reversal, line and the
CO total of the claim's other lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation


def to_decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def to_date(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def is_reversal(adjustment: Mapping[str, object]) -> bool:
    """CLP02 = 22: the claim reverses an earlier payment."""
    return adjustment.get("reversal") is True or adjustment.get("claim_status") == "22"


def line_key(adjustment: Mapping[str, object]) -> int | None:
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
            line = line_key(adj)
            amount = to_decimal(adj.get("amount"))
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
