"""Low-cardinality names for why a record was dead-lettered (metric label values)."""

from __future__ import annotations

from era_contract.codec import CodecError
from era_contract.validation import SchemaViolationError


def dead_letter_reason(error: BaseException) -> str:
    """``decode_error``, ``schema_violation`` or ``processing_error``."""
    if isinstance(error, CodecError):
        return "decode_error"
    if isinstance(error, SchemaViolationError):
        return "schema_violation"
    return "processing_error"
