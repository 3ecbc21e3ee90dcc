"""Checks a decoded record must pass before a stage acts on it (beyond what Avro types
guarantee). A failure is a schema violation: the record is dead-lettered, never guessed at."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from era_contract import vocabulary

LEVELS = frozenset(vocabulary.LEVELS)
_MONEY_FIELDS = (
    "amount",
    "claim_charge",
    "claim_paid",
    "line_charge",
    "line_paid",
    "allowed_amount",
    "quantity",
    "units",
)


class SchemaViolationError(ValueError):
    """A record decoded but breaks the contract; the message names the field."""


def check_adjustment(record: Mapping[str, object]) -> None:
    """Raise :class:`SchemaViolationError` unless ``record`` is a usable adjustment."""
    if not record.get("event_id"):
        raise SchemaViolationError("event_id: expected a non-empty id")
    if record.get("level") not in LEVELS:
        raise SchemaViolationError(
            f"level: expected claim, line or provider, got {record.get('level')!r}"
        )
    if not record.get("carc"):
        raise SchemaViolationError("carc: expected a reason code")
    for name in _MONEY_FIELDS:
        value = record.get(name)
        if value is None:
            if name == "amount":
                raise SchemaViolationError("amount: expected a decimal string")
            continue
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise SchemaViolationError(
                f"{name}: expected a decimal string, got {value!r}"
            ) from None
        if not number.is_finite():
            raise SchemaViolationError(f"{name}: expected a finite decimal, got {value!r}")
