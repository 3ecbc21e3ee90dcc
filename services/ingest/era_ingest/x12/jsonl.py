"""JSON lines straight from the compact adjustments of a transaction set.

:func:`json_lines` gives, byte for byte, what ``json`` (compact separators, ASCII output) makes
of each dict of :meth:`.adjustments.CompactAdjustments.dicts`, from the same rules (the claim
and header fields, and the level rules of :mod:`.levels`), written once per transaction header
(file .. transaction), claim (every field that is not per level or per adjustment) and claim
level or service line (:data:`.levels.LEVEL_FIELDS`); only :data:`.adjustments.PER_ADJUSTMENT`
are written per adjustment. PLB adjustments (a few per set) go through ``json`` whole.

The writers of those field runs are generated from :data:`.loops.ADJUSTMENT_FIELDS` and the level
rules when this module is imported (:func:`_writers`: one f-string per run, no call per field).
What that buys, measured on ``era synth --adjustments 200000``: ``json`` itself takes ~8 µs per
47-key template, a generated writer ~0.15 µs per field; encoding each adjustment dict instead
makes ``era parse --format jsonl`` about 1.6x slower, below the 30x pyx12 of ``make bench-parse``.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii

from .adjustments import PER_ADJUSTMENT, CompactAdjustments, Header, plb_dicts
from .levels import CLAIM_LEVEL, LEVEL_FIELDS, LINE_LEVEL, RULE_NAMES, generate
from .loops import ADJUSTMENT_FIELDS, CLAIM_FIELDS, Claim
from .speedups import cas_json

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
    "claim_event_id",
    "remittance_event_id",
)
"""String fields the parser only fills with validated numbers (digits, a point, a sign), ISO
dates or event ids (hex digits): written between quotes as they are, without escaping (saves
~60 ns per field; the fuzz tests compare every line with ``json``'s)."""

_EXPRESSIONS = {
    "plain": "{NULL if (v := t[%s]) is None else QUOTE + v + QUOTE}",
    "str": "{NULL if (v := t[%s]) is None else _str(v)}",
    "int": "{NULL if (v := t[%s]) is None else v}",
    "bool": "{TRUE if t[%s] else FALSE}",
    "strings": "{EMPTY if not (v := t[%s]) else OPEN + COMMA.join(map(_str, v)) + CLOSE}",
}

Writer = Callable[..., object]


def _fields(keys: tuple[str, ...], names: dict[str, str], source: str) -> str:
    """The f-string source of ``"key":value,...`` of ``keys``, read from the dict ``source``
    (``h``: a header, ``f``: a claim's fields) by key, their names added to ``names``."""
    parts = []
    for key in keys:
        name = names.setdefault(key, f"K{len(names)}")
        parts.append(encode(key) + ":" + _expression(key, f"{source}[{name}]"))
    return ",".join(parts)


def _expression(key: str, value: str) -> str:
    """The f-string part that writes ``value`` (an expression) as the JSON of field ``key``."""
    kind = "plain" if key in VALIDATED else NOT_STRINGS.get(key, "str")
    return _EXPRESSIONS[kind].replace("t[%s]", f"({value})")


def _level_fields(keys: tuple[str, ...], rules: dict[str, str]) -> str:
    """Like :func:`_fields`, for level fields: each value is its rule, evaluated in place; a
    rule that is a constant is written as its JSON."""
    parts = []
    for key in keys:
        rule = rules[key]
        try:
            constant = ast.literal_eval(rule)
        except ValueError:
            parts.append(encode(key) + ":" + _expression(key, rule))
        else:
            parts.append(encode({key: constant})[1:-1])
    return ",".join(parts)


def _compile(
    name: str, params: str, body: str, names: dict[str, str], statements: bool = False
) -> Writer:
    """Compile ``def name(params): return body`` (with ``statements``: ``body`` is the
    function's statements). The keys and constants it uses are keyword-only defaults, so they
    are fast locals, not global lookups (~30% of the writer)."""
    constants: dict[str, object] = {variable: key for key, variable in names.items()}
    constants.update(_str=encode_basestring_ascii, NULL="null", TRUE="true", FALSE="false")
    constants.update(COMMA=",", QUOTE='"', EMPTY="[]", OPEN="[", CLOSE="]")
    constants.update(RULE_NAMES)
    constants.update(cas_json=cas_json, PIECES=PIECES)
    defaults = ", ".join(f"{constant}={constant}" for constant in constants)
    source = f"def {name}({params}, *, {defaults}):\n"
    source += body if statements else f"    return {body}\n"
    return generate(name, source, constants)


def _runs(
    keys: tuple[str, ...], inside: Callable[[str], bool]
) -> list[tuple[bool, tuple[str, ...]]]:
    """``keys`` cut into runs of keys that are and are not ``inside``: (inside, run keys)."""
    runs: list[tuple[bool, tuple[str, ...]]] = []
    start = 0
    for end in range(1, len(keys) + 1):
        if end == len(keys) or inside(keys[end]) != inside(keys[start]):
            runs.append((inside(keys[start]), keys[start:end]))
            start = end
    return runs


def _tuple(pieces: list[str]) -> str:
    return "(" + "".join(f"{piece}, " for piece in pieces) + ")"


def _writers(regions: list[tuple[str, ...]]) -> tuple[Writer, Writer, Writer]:
    """Generated writers of ``regions`` (the middle and the tail of an adjustment's JSON), in
    three steps that each run as rarely as they can:

    - ``header(h)``: the JSON of the header fields among the claim runs (once per header);
    - ``claim(f, p)``: the JSON of each claim run, its header runs ``p`` put in (once per claim);
    - ``claim_lines(claim, transaction_error, c, head, next_id, append)``: appends the JSON of
      each adjustment of the claim: the level fields (written once per claim level and line
      with CAS, by the rules of :mod:`.levels`), the claim runs ``c``, the header's ``head``
      and the per-adjustment fields, with the event ids from ``next_id()``.

    (f-strings, the keys passed as names: no quote or backslash in the expressions.)"""
    names: dict[str, str] = {}
    header_runs: list[str] = []
    claim_runs: list[str] = []
    claim_level: list[str] = []
    line_level: list[str] = []
    for region in regions:
        claim_pieces, line_pieces = [], []
        for level, keys in _runs(region, LEVEL_FIELDS.__contains__):
            if level:
                claim_pieces.append(_level_fields(keys, CLAIM_LEVEL))
                line_pieces.append(_level_fields(keys, LINE_LEVEL))
                continue
            claim_pieces.append(f"{{c[{len(claim_runs)}]}}")
            line_pieces.append(f"{{c[{len(claim_runs)}]}}")
            run = []
            for of_claim, subkeys in _runs(keys, CLAIM_FIELDS.__contains__):
                if of_claim:
                    run.append(_fields(subkeys, names, "f"))
                else:
                    run.append(f"{{p[{len(header_runs)}]}}")
                    header_runs.append("f'" + _fields(subkeys, names, "h") + "'")
            claim_runs.append("f'" + ",".join(run) + "'")
        claim_level.append("f'" + ",".join(claim_pieces) + "'")
        line_level.append("f'" + ",".join(line_pieces) + "'")
    source = _CLAIM_LINES.format(
        claim_middle=claim_level[0],
        claim_tail=claim_level[1],
        line_middle=line_level[0],
        line_tail=line_level[1],
    )
    return (
        _compile("header", "h", _tuple(header_runs), names),
        _compile("claim", "f, p", _tuple(claim_runs), names),
        _compile(
            "claim_lines",
            "claim, transaction_error, c, head, ids, out",
            source,
            names,
            statements=True,
        ),
    )


_CLAIM_LINES = """\
    if claim.cas:
        middle = {claim_middle}
        tail = {claim_tail}
        cas_json(out, ids, head, middle, tail, claim.cas, PIECES, _str)
    for line in claim.lines:
        if line.cas:
            middle = {line_middle}
            tail = {line_tail}
            cas_json(out, ids, head, middle, tail, line.cas, PIECES, _str)
"""
"""The claim's adjustments: the per-adjustment fields (:data:`.adjustments.PER_ADJUSTMENT`)
between the level regions ``middle`` and ``tail`` (``head``: file .. transaction)."""


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
PIECES = (
    "{" + encode(_EVENT_ID) + ':"',
    '",',
    "," + encode(_SEGMENT_NO) + ":",
    ",",
    "," + encode(_GROUP) + ":",
    "," + encode(_CARC) + ":",
    "," + encode(_AMOUNT) + ':"',
    '",' + encode(_QUANTITY) + ":",
    ",",
    "}",
)
"""What :func:`.speedups.cas_json` writes around the per-adjustment values and the regions."""
_HEAD_NAMES: dict[str, str] = {}
_HEAD_SOURCE = _fields(ADJUSTMENT_FIELDS[1 : _at(_SEGMENT_NO)], _HEAD_NAMES, "h")
_head: Callable[[Header], str]
_head = _compile("head", "h", f"f'{_HEAD_SOURCE}'", _HEAD_NAMES)  # type: ignore[assignment]
_header_json: Callable[[Header], tuple[str, ...]]
_claim_json: Callable[[Header, tuple[str, ...]], tuple[str, ...]]
_claim_lines: Callable[..., None]
_header_json, _claim_json, _claim_lines = _writers(  # type: ignore[assignment]
    [
        ADJUSTMENT_FIELDS[_at(_SEGMENT_NO) + 1 : _at(_GROUP)],
        ADJUSTMENT_FIELDS[_at(_QUANTITY) + 1 :],
    ]
)
_str = encode_basestring_ascii


def json_lines(adjustments: CompactAdjustments) -> list[str]:
    """One compact JSON object per adjustment of a sealed set, in order, without newlines."""
    out: list[str] = []
    ids = iter(adjustments.event_ids)
    transaction_error = adjustments.balance_error
    remittance_id = adjustments.remittance_event_id
    header: Header | None = None
    head = ""
    header_parts: tuple[str, ...] = ()
    claim_json, claim_lines, head_json, header_json = _claim_json, _claim_lines, _head, _header_json
    for record_header, source in adjustments.records:
        if not isinstance(source, Claim):
            dicts: list[dict[str, object]] = []
            plb_dicts(record_header, source, ids, transaction_error, dicts, remittance_id)
            out.extend(map(encode, dicts))
            continue
        if record_header is not header:
            header = record_header
            head = head_json(header)
            header_parts = header_json(header)
        parts = claim_json(source.fields, header_parts)
        claim_lines(source, transaction_error, parts, head, ids, out)
    return out
