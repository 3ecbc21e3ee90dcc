"""JSON lines straight from the compact adjustments of a transaction set.

:func:`json_lines` gives, byte for byte, what ``json`` (compact separators, ASCII output) makes
of each dict of :meth:`.adjustments.CompactAdjustments.dicts`, from the same values
(:func:`.adjustments.claim_templates`, the one place where the rules are), written once per
transaction header (file .. transaction), claim (every field that is not per level or per
adjustment) and claim level or service line (:data:`.adjustments.LEVEL_FIELDS`); only
:data:`.adjustments.PER_ADJUSTMENT` are written per adjustment. PLB adjustments (a few per set)
go through ``json`` whole.

The writers of those field runs are generated from :data:`.loops.ADJUSTMENT_FIELDS` when this
module is imported (:func:`_writer`: one f-string per run, no call per field). What that buys,
measured on ``era synth --adjustments 200000``: ``json`` itself takes ~8 µs per 47-key
template, a generated writer ~0.15 µs per field; encoding each adjustment dict instead makes
``era parse --format jsonl`` about 1.6x slower, below the 30x pyx12 of ``make bench-parse``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii

from .adjustments import (
    LEVEL_FIELDS,
    PER_ADJUSTMENT,
    CompactAdjustments,
    Header,
    claim_levels,
    plb_dicts,
)
from .loops import ADJUSTMENT_FIELDS, CLAIM_FIELDS, Claim

encode = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
"""``encode(value) -> str``: compact ASCII JSON, as ``era parse --format jsonl`` writes it."""

NOT_STRINGS = {"line": "int", "ingested_at": "int", "reversal": "bool"}
NOT_STRINGS.update(modifiers="strings", rarcs="strings")
"""Adjustment fields (other than :data:`.adjustments.PER_ADJUSTMENT`) whose values are not a
string or ``None`` (a test holds this to ``schemas/adjustment.avsc``)."""

VALIDATED = (
    "remit_date",
    "claim_charge",
    "claim_paid",
    "patient_responsibility",
    "units",
    "line_charge",
    "line_paid",
    "allowed_amount",
    "service_date",
    "estimated_payment",
)
"""String fields the parser only fills with validated numbers (digits, a point, a sign) or ISO
dates: written between quotes as they are, without escaping (saves ~60 ns per field; the
fuzz tests compare every line with ``json``'s)."""

_EXPRESSIONS = {
    "plain": "{NULL if (v := t[%s]) is None else QUOTE + v + QUOTE}",
    "str": "{NULL if (v := t[%s]) is None else _str(v)}",
    "int": "{NULL if (v := t[%s]) is None else int(v)}",
    "bool": "{TRUE if t[%s] else FALSE}",
    "strings": "[{COMMA.join(map(_str, t[%s]))}]",
}

Writer = Callable[..., object]


def _fields(keys: tuple[str, ...], names: dict[str, str], claim: bool = False) -> str:
    """The f-string source of ``"key":value,...`` of ``keys`` (their names added to ``names``),
    read from ``t``; with ``claim``, from ``f`` (the claim's fields) or ``h`` (its header)."""
    parts = []
    for key in keys:
        name = names.setdefault(key, f"K{len(names)}")
        kind = "plain" if key in VALIDATED else NOT_STRINGS.get(key, "str")
        expression = _EXPRESSIONS[kind] % name
        if claim:
            expression = expression.replace("t[", "f[" if key in CLAIM_FIELDS else "h[")
        parts.append(encode(key) + ":" + expression)
    return ",".join(parts)


def _compile(name: str, params: str, expression: str, names: dict[str, str]) -> Writer:
    """Compile ``def name(params): return expression``. The keys and constants it uses are
    keyword-only defaults, so they are fast locals, not global lookups (~30% of the writer)."""
    constants: dict[str, object] = {variable: key for key, variable in names.items()}
    constants.update(_str=encode_basestring_ascii, NULL="null", TRUE="true", FALSE="false")
    constants.update(COMMA=",", QUOTE='"')
    defaults = ", ".join(f"{constant}={constant}" for constant in constants)
    source = f"def {name}({params}, *, {defaults}):\n    return {expression}\n"
    namespace = dict(constants)
    exec(compile(source, f"<jsonl {name}>", "exec"), namespace)
    write = namespace[name]
    assert callable(write)
    return write


def _runs(keys: tuple[str, ...]) -> list[tuple[bool, tuple[str, ...]]]:
    """``keys`` cut into runs of level fields and claim fields: (is a level run, its keys)."""
    runs: list[tuple[bool, tuple[str, ...]]] = []
    start = 0
    for end in range(1, len(keys) + 1):
        if end == len(keys) or (keys[end] in LEVEL_FIELDS) != (keys[start] in LEVEL_FIELDS):
            runs.append((keys[start] in LEVEL_FIELDS, keys[start:end]))
            start = end
    return runs


def _writers(regions: list[tuple[str, ...]]) -> tuple[Writer, Writer]:
    """Generated writers of ``regions`` (the middle and the tail of an adjustment's JSON):
    ``claim(header, claim_fields)`` gives the JSON of the claim runs, ``level(level, parts)``
    the text of each region with the level runs written and the claim parts put in
    (f-strings, the keys passed as names: no quote or backslash in the expressions)."""
    names: dict[str, str] = {}
    claim_runs: list[str] = []
    regions_source: list[str] = []
    for region in regions:
        pieces = []
        for level, keys in _runs(region):
            if level:
                pieces.append(_fields(keys, names))
            else:
                pieces.append(f"{{c[{len(claim_runs)}]}}")
                claim_runs.append(_fields(keys, names, claim=True))
        regions_source.append("f'" + ",".join(pieces) + "'")
    claim_expression = "(" + "".join(f"f'{run}', " for run in claim_runs) + ")"
    level_expression = "(" + ", ".join(regions_source) + ",)"
    return (
        _compile("claim", "h, f", claim_expression, names),
        _compile("level", "t, c", level_expression, names),
    )


# The per-adjustment fields sit where the format in json_lines puts them: event_id first,
# segment_no alone, group_code .. quantity together, something on either side.
_at = ADJUSTMENT_FIELDS.index
_EVENT_ID, _SEGMENT_NO, _GROUP, _CARC, _AMOUNT, _QUANTITY = PER_ADJUSTMENT
if not (
    _at(_EVENT_ID) == 0
    and 1 < _at(_SEGMENT_NO) < _at(_GROUP) - 1
    and (_at(_CARC), _at(_AMOUNT), _at(_QUANTITY)) == tuple(_at(_GROUP) + n for n in (1, 2, 3))
    and _at(_QUANTITY) < len(ADJUSTMENT_FIELDS) - 1
    and not set(LEVEL_FIELDS) & set(ADJUSTMENT_FIELDS[: _at(_SEGMENT_NO)])
):
    raise ImportError("jsonl: the Adjustment field order no longer fits json_lines")
_HEAD_NAMES: dict[str, str] = {}
_HEAD_SOURCE = _fields(ADJUSTMENT_FIELDS[1 : _at(_SEGMENT_NO)], _HEAD_NAMES)
_head: Callable[[Header], str]
_head = _compile("head", "t", f"f'{_HEAD_SOURCE}'", _HEAD_NAMES)  # type: ignore[assignment]
_claim_json: Callable[[Header, Header], tuple[str, ...]]
_level_json: Callable[[Header, tuple[str, ...]], tuple[str, str]]
_claim_json, _level_json = _writers(  # type: ignore[assignment]
    [
        ADJUSTMENT_FIELDS[_at(_SEGMENT_NO) + 1 : _at(_GROUP)],
        ADJUSTMENT_FIELDS[_at(_QUANTITY) + 1 :],
    ]
)
_str = encode_basestring_ascii


def json_lines(adjustments: CompactAdjustments) -> list[str]:
    """One compact JSON object per adjustment of a sealed set, in order, without newlines."""
    out: list[str] = []
    append = out.append
    ids = iter(adjustments.event_ids)
    next_id = ids.__next__
    transaction_error = adjustments.balance_error
    remittance_id = adjustments.remittance_event_id
    header: Header | None = None
    head = ""
    claim_json, level_json, head_json = _claim_json, _level_json, _head
    for record_header, source in adjustments.records:
        if not isinstance(source, Claim):
            dicts: list[dict[str, object]] = []
            plb_dicts(record_header, source, ids, transaction_error, dicts, remittance_id)
            out.extend(map(encode, dicts))
            continue
        if record_header is not header:
            header = record_header
            head = head_json(header)
        parts = claim_json(record_header, source.fields)
        levels = claim_levels(source, transaction_error)
        for level, cas, _, _ in levels:
            middle, tail = level_json(level, parts)
            for segment_no, _, group, reason, amount, quantity in cas:
                number = "null" if quantity is None else f'"{quantity}"'
                append(
                    f'{{"event_id":"{next_id()}",{head},"segment_no":{segment_no},{middle},'
                    f'"group_code":{_str(group)},"carc":{_str(reason)},"amount":"{amount}",'
                    f'"quantity":{number},{tail}}}'
                )
    return out
