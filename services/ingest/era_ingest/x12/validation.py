"""Element checks and balancing rules for 835 transaction sets.

Numbers stay the strings found in the file (only a leading ``+`` is dropped); ``Decimal`` is used
for the balancing arithmetic only, never ``float``. Arithmetic goes through a private context
with 100 digits of precision, so sums of X12 amounts (at most 18 characters each) are exact
whatever the caller's decimal context is.
"""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation

ZERO = Decimal(0)
MAX_NUMBER_CHARS = 18
"""Longest numeric element accepted (X12 ``R`` elements are at most 18 characters in 5010)."""

CONTEXT = Context(prec=100, traps=[InvalidOperation])
add = CONTEXT.add
subtract = CONTEXT.subtract

_NUMBER_CHARS = "0123456789.-+"

# The parser's memo trick, kept in this module: amounts and dates repeat a lot in remittances,
# so :func:`decimal` and :func:`iso_date` remember the values they have checked, process-wide
# and bounded (cleared when full). Measured on this repository's benchmark machine: ~56 ns per
# remembered amount against ~226 ns to check and convert it again, ~53 ns per remembered date
# against ~945 ns. The claim and line handlers (CLP, CAS, SVC, AMT: ~680k amounts on the
# 200k-adjustment benchmark file, ~70% of them remembered) call ``known(text) or decimal(text,
# element)``, which skips the function call on a hit: ~5% of `era parse` CPU (py-spy, same
# run). A zero is falsy and simply takes the call. The DTM handler does the same with dates
# (``known_date``): a date seen before is its ISO text, else (new, or not a date) the call.
_DATES: dict[str, str | None] = {}
DECIMALS: dict[str, Decimal] = {}
"""Validated numeric element text to its exact value (bounded memo)."""
known = DECIMALS.get
"""``known(text)``: the memoised ``Decimal`` of ``text`` when it was validated before, else
``None`` (then call :func:`decimal`, which validates it and names the element on error)."""
known_date = _DATES.get
"""``known_date(text)``: the ISO date of ``text`` when it was converted before, else ``None``
(then call :func:`iso_date`; also ``None`` for a remembered non-date, which the call warns of)."""
_DECIMAL_CACHE_LIMIT = 1 << 14
_DATE_CACHE_LIMIT = 4096


class SegmentError(Exception):
    """A segment breaks the structure of its transaction set; the message says what was expected.

    Raised by the 835 walker and turned into a rejecting :class:`~era_ingest.x12.Problem` by the
    envelope reader, which knows the file, segment number and transaction set.
    """


def decimal(value: str, element: str) -> Decimal:
    """The exact ``Decimal`` of an X12 ``R``/``N`` element, or :class:`SegmentError`.

    Accepts an optional sign, ASCII digits and at most one decimal point; rejects exponents,
    ``NaN``/``Infinity``, blanks, underscores, non-ASCII digits and more than 18 characters.
    Valid values are memoised in :data:`DECIMALS`, so a hit there is a validated number.
    """
    found = DECIMALS.get(value)
    if found is not None:
        return found
    if not value or value.strip(_NUMBER_CHARS) or len(value) > MAX_NUMBER_CHARS:
        raise SegmentError(f"{element}: expected a decimal number, got {value[:40]!r}")
    try:
        result = CONTEXT.create_decimal(value)
    except InvalidOperation:
        raise SegmentError(f"{element}: expected a decimal number, got {value!r}") from None
    if len(DECIMALS) >= _DECIMAL_CACHE_LIMIT:
        DECIMALS.clear()
    DECIMALS[value] = result
    return result


def number(value: str, element: str) -> str:
    """Validate a numeric element; return it as written, only a leading ``+`` dropped."""
    if known(value) is None:
        decimal(value, element)
    return value[1:] if value[0] == "+" else value


def optional_number(value: str, element: str) -> str | None:
    """Like :func:`number` but an empty element gives ``None``."""
    return number(value, element) if value else None


def iso_date(value: str) -> str | None:
    """Convert X12 ``CCYYMMDD`` to ``YYYY-MM-DD``; ``None`` when it is not a calendar date."""
    if value in _DATES:
        return _DATES[value]
    result: str | None = None
    if len(value) == 8 and value.isascii() and value.isdigit():
        year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
        if year and 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month):
            result = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    if len(_DATES) >= _DATE_CACHE_LIMIT:
        _DATES.clear()
    _DATES[value] = result
    return result


def _days_in_month(year: int, month: int) -> int:
    """Days in a month of the proleptic Gregorian calendar (what ``datetime.date`` accepts;
    ``datetime`` is not imported, to keep start-up short)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in {4, 6, 9, 11} else 31


def line_balance_error(charge: Decimal, paid: Decimal, cas_total: Decimal) -> str | None:
    """Check SVC02 - SVC03 = sum of line CAS; return a short reason when it does not hold."""
    expected = subtract(charge, paid)
    if expected == cas_total:
        return None
    return f"line out of balance: SVC02 - SVC03 = {expected}, line CAS total {cas_total}"


def claim_balance_error(charge: Decimal, paid: Decimal, cas_total: Decimal) -> str | None:
    """Check CLP03 - CLP04 = sum of claim and line CAS; return a short reason when it fails."""
    expected = subtract(charge, paid)
    if expected == cas_total:
        return None
    return f"claim out of balance: CLP03 - CLP04 = {expected}, claim and line CAS total {cas_total}"


def transaction_balance_error(
    payment: Decimal,
    paid_total: Decimal,
    plb_total: Decimal,
) -> str | None:
    """Check BPR02 = sum of CLP04 - sum of PLB amounts; return a short reason when it fails."""
    expected = subtract(paid_total, plb_total)
    if payment == expected:
        return None
    return f"transaction out of balance: BPR02 = {payment}, CLP04 total - PLB total = {expected}"


def same_control_number(header: str, trailer: str) -> bool:
    """Whether a trailer repeats its header's control number.

    Equal strings match; so do two all-digit values with the same number (``1`` and ``000000001``),
    a leniency for senders that pad one side only.
    """
    if header == trailer:
        return True
    return (
        0 < len(header) <= MAX_NUMBER_CHARS
        and 0 < len(trailer) <= MAX_NUMBER_CHARS
        and header.isascii()
        and header.isdigit()
        and trailer.isascii()
        and trailer.isdigit()
        and int(header) == int(trailer)
    )


def count(value: str, element: str) -> int:
    """Parse a count element (SE01, GE01, IEA01) or raise :class:`SegmentError`."""
    if value.isascii() and value.isdigit() and len(value) <= MAX_NUMBER_CHARS:
        return int(value)
    raise SegmentError(f"{element}: expected a count, got {value[:40]!r}")
