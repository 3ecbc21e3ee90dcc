"""Element checks and balancing rules for 835 transaction sets.

Numbers stay the strings found in the file (only a leading ``+`` is dropped); ``Decimal`` is used
for the balancing arithmetic only, never ``float``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)


class SegmentError(Exception):
    """A segment breaks the structure of its transaction set; the message says what was expected.

    Raised by the 835 walker and turned into a rejecting :class:`~era_ingest.x12.Problem` by the
    envelope reader, which knows the file, segment number and transaction set.
    """


def number(value: str, element: str) -> str:
    """Return ``value`` as a decimal string (leading ``+`` dropped, sign kept) or raise.

    Accepts X12 ``R``/``N`` values: an optional sign, ASCII digits and at most one decimal point.
    Exponents, ``NaN``/``Infinity``, blanks, underscores and non-ASCII digits are rejected.
    """
    text = value[1:] if value[:1] == "+" else value
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.replace(".", "", 1).isdigit():
        return text
    raise SegmentError(f"{element}: expected a decimal number, got {value!r}")


def optional_number(value: str, element: str) -> str | None:
    """Like :func:`number` but an empty element gives ``None``."""
    return number(value, element) if value else None


def iso_date(value: str) -> str | None:
    """Convert X12 ``CCYYMMDD`` to ``YYYY-MM-DD``; ``None`` when it is not a calendar date."""
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        return None
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None
    return f"{value[:4]}-{value[4:6]}-{value[6:]}"


def total(amounts: Iterable[str]) -> Decimal:
    """Sum validated decimal strings exactly."""
    result = ZERO
    for amount in amounts:
        result += Decimal(amount)
    return result


def line_balance_error(charge: str, paid: str, cas_total: Decimal) -> str | None:
    """Check SVC02 - SVC03 = Σ line CAS; return a short reason when it does not hold."""
    expected = Decimal(charge) - Decimal(paid)
    if expected == cas_total:
        return None
    return f"line out of balance: SVC02 - SVC03 = {expected}, line CAS total {cas_total}"


def claim_balance_error(charge: str, paid: str, cas_total: Decimal) -> str | None:
    """Check CLP03 - CLP04 = Σ claim and line CAS; return a short reason when it does not hold."""
    expected = Decimal(charge) - Decimal(paid)
    if expected == cas_total:
        return None
    return f"claim out of balance: CLP03 - CLP04 = {expected}, claim and line CAS total {cas_total}"


def transaction_balance_error(
    bpr_amount: str,
    paid_total: Decimal,
    plb_total: Decimal,
) -> str | None:
    """Check BPR02 = Σ CLP04 - Σ PLB amounts; return a short reason when it does not hold."""
    expected = paid_total - plb_total
    if Decimal(bpr_amount) == expected:
        return None
    return f"transaction out of balance: BPR02 = {bpr_amount}, CLP04 total - PLB total = {expected}"


def same_control_number(header: str, trailer: str) -> bool:
    """Whether a trailer repeats its header's control number.

    Equal strings match; so do two all-digit values with the same number (``1`` and ``000000001``),
    a leniency for senders that pad one side only.
    """
    if header == trailer:
        return True
    return header.isdigit() and trailer.isdigit() and int(header) == int(trailer)


def count(value: str, element: str) -> int:
    """Parse a count element (SE01, GE01, IEA01) or raise :class:`SegmentError`."""
    if value.isascii() and value.isdigit():
        return int(value)
    raise SegmentError(f"{element}: expected a segment/group count, got {value!r}")
