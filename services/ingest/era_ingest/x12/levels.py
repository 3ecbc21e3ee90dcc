"""The one source of the rules that give each claim level and service line its adjustment fields.

A claim's adjustments share its header and claim fields; what differs between its claim level
and its service lines are the :data:`LEVEL_FIELDS`. Their values are written once, here, as
Python expressions over ``claim`` (a :class:`~.loops.Claim`), ``line`` (a
:class:`~.loops.ServiceLine`) and ``transaction_error`` (the set's balance error):
:data:`CLAIM_LEVEL` for a claim's own CAS, :data:`LINE_LEVEL` for a line's. Both consumers are
generated from them when the package is imported: :func:`claim_levels` (the values as tuples, for
:meth:`.adjustments.CompactAdjustments.dicts`) and the JSON writer of :mod:`.jsonl`, which
evaluates the same expressions straight into the JSON text, with no tuple in between and the
constants folded (what that buys, measured with valgrind on the 20k-adjustment benchmark slice:
about 6% of `era parse --format jsonl` instructions, against writing from the tuples).

Rules: a line's date is DTM*472, else DTM*150, else the claim's DTM*232; the balance error is
the line's, else the claim's, else the transaction's; a line's RARCs are its LQ*HE codes, then
the claim's MOA/MIA codes (:func:`line_rarcs`); a line's estimated payment is its own, the claim
level's the claim's.
"""

from __future__ import annotations

from collections.abc import Callable

from .loops import CasItem, Claim, ServiceLine

CLAIM_LEVEL: dict[str, str] = {
    "level": "'claim'",
    "line": "None",
    "procedure": "None",
    "modifiers": "[]",
    "units": "None",
    "line_charge": "None",
    "line_paid": "None",
    "allowed_amount": "None",
    "service_date": "claim.date",
    "rarcs": "claim.rarcs",
    "balance_error": "claim.balance_error or transaction_error",
    "estimated_payment": "claim.fields[ESTIMATED_PAYMENT]",
    "line_control_number": "None",
    "submitted_procedure": "None",
}
"""Each level field of a claim's own adjustments (CAS of loop 2100), as an expression."""

LINE_LEVEL: dict[str, str] = {
    "level": "'line'",
    "line": "line.index",
    "procedure": "line.procedure",
    "modifiers": "line.modifiers",
    "units": "line.units",
    "line_charge": "line.charge",
    "line_paid": "line.paid",
    "allowed_amount": "line.allowed",
    "service_date": "line.date or line.date_150 or claim.date",
    "rarcs": "line_rarcs(claim, line) if claim.rarcs else line.rarcs",
    "balance_error": "line.balance_error or claim.balance_error or transaction_error",
    "estimated_payment": "line.estimate",
    "line_control_number": "line.control_number",
    "submitted_procedure": "submitted_procedure(line) if line.submitted else None",
}
"""Each level field of a service line's adjustments (CAS of loop 2110), as an expression."""

LEVEL_FIELDS: tuple[str, ...] = tuple(LINE_LEVEL)
"""The fields that differ between the claim level and the service lines of one claim; every
other field is the claim's (or its header's)."""

LevelValues = tuple[object, ...]
"""The :data:`LEVEL_FIELDS` values of a claim level or service line, in that order."""
Level = tuple[LevelValues, list[CasItem]]
"""One claim level or service line with CAS: its level values and its CAS items."""

MODIFIERS = LEVEL_FIELDS.index("modifiers")
RARCS = LEVEL_FIELDS.index("rarcs")
"""Positions of the two list values, which each adjustment gets its own copy of."""


def split_procedure(parts: list[str] | None) -> tuple[str | None, list[str]]:
    """A split procedure composite (SVC06) as ``AD:D2740`` and its modifiers (components 3-6);
    ``(None, [])`` for none."""
    if not parts:
        return None, []
    if len(parts) > 1 and parts[1]:
        return f"{parts[0]}:{parts[1]}", [part for part in parts[2:6] if part]
    return parts[0] or None, []


def submitted_procedure(line: ServiceLine) -> str | None:
    """SVC06, the procedure as submitted when the payer changed it, as ``AD:D2740``."""
    return split_procedure(line.submitted)[0]


def line_service_date(claim: Claim, line: ServiceLine) -> str | None:
    """A line's service date: DTM*472, else DTM*150 (the period's start), else the claim's
    DTM*232. (:data:`LINE_LEVEL` writes the same rule inline, for speed; a test holds them
    together.)"""
    return line.date or line.date_150 or claim.date


def line_rarcs(claim: Claim, line: ServiceLine) -> list[str]:
    """A line adjustment's RARCs: the line's LQ*HE codes, then the claim's MOA/MIA codes."""
    rarcs = line.rarcs
    if claim.rarcs:
        rarcs = rarcs + [code for code in claim.rarcs if code not in rarcs]
    return rarcs


RULE_NAMES: dict[str, object] = {
    "ESTIMATED_PAYMENT": "estimated_payment",
    "line_rarcs": line_rarcs,
    "submitted_procedure": submitted_procedure,
}
"""The names the rule expressions may use besides ``claim``, ``line`` and
``transaction_error``."""

if tuple(CLAIM_LEVEL) != LEVEL_FIELDS or any(
    "'" in rule or '"' in rule or "\\" in rule
    for rule in (*CLAIM_LEVEL.values(), *LINE_LEVEL.values())
    if rule not in ("'claim'", "'line'")
):
    # the generated writers put the rules inside f-strings: same keys, no quotes there
    raise ImportError("levels: CLAIM_LEVEL and LINE_LEVEL must have the same keys, no quotes")


def generate(name: str, source: str, names: dict[str, object]) -> Callable[..., object]:
    """Compile the function ``name`` from ``source`` with ``names`` (and :data:`RULE_NAMES`)
    as its globals: the one code generator of the parser (:func:`claim_levels` and the JSON
    writers of :mod:`.jsonl`)."""
    namespace: dict[str, object] = {**RULE_NAMES, **names}
    exec(compile(source, f"<era_ingest.x12 {name}>", "exec"), namespace)
    function = namespace[name]
    assert callable(function)
    return function


_LEVELS_SOURCE = f"""
def claim_levels(claim, transaction_error):
    levels = []
    if claim.cas:
        levels.append((({", ".join(CLAIM_LEVEL.values())},), claim.cas))
    for line in claim.lines:
        if line.cas:
            levels.append((({", ".join(LINE_LEVEL.values())},), line.cas))
    return levels
"""
claim_levels: Callable[[Claim, str | None], list[Level]]
claim_levels = generate("claim_levels", _LEVELS_SOURCE, {})  # type: ignore[assignment]
"""``claim_levels(claim, transaction_error)``: one :data:`Level` for the claim level (when it
has CAS) and for each service line with CAS, in order, by the rules above."""
