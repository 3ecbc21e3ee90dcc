"""`era parse FILE...`: parse 835 files and print their adjustments (no broker, no classifier).

Exit status 0 only when every input parsed cleanly; otherwise 1, with one line per problem on
stderr (``FILE:SEGMENT_NO: what was expected``) while the good adjustments still go to stdout.
Warnings (a claim or payment that does not balance, a bad date, an unknown segment) are problems
too: the file did not parse cleanly. ``--format jsonl`` streams one compact JSON object per
adjustment, transaction set by transaction set; ``--format table`` (the default) collects the rows
to align the columns, then prints totals.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from json.encoder import encode_basestring_ascii
from typing import TextIO

from era_ingest.x12 import ADJUSTMENT_FIELDS, ParsedTransaction, Problem, X12Error, parse_path
from era_ingest.x12.loops import Adjustment

_GC_THRESHOLD = 100_000
TABLE_COLUMNS = ("file", "claim", "line", "group-carc", "amount", "procedure", "rarcs")
_MAX_CELL = 40


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``parse`` subcommand."""
    parser = subparsers.add_parser(
        "parse",
        help="parse X12 835 files and print one adjustment per CAS triplet / PLB adjustment",
        description=(
            "Parse X12 835 (ERA) files. Exit 0 only when every file parsed cleanly; otherwise "
            "exit 1 with one 'FILE:SEGMENT: problem' line per problem on stderr."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="835 files to parse")
    parser.add_argument(
        "--format",
        choices=("jsonl", "table"),
        default="table",
        help="jsonl: one JSON object per adjustment; table: aligned columns with totals",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Parse every file named in ``args.files``; return the exit status."""
    out = sys.stdout
    transactions = ParsedInputs(args.files, sys.stderr)
    # The parser allocates millions of short-lived lists and dicts and frees them by reference
    # counting; the cycle collector, run every 700 allocations, would walk the live ones again
    # and again. Collect less often (memory stays flat: nothing here forms cycles).
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(_GC_THRESHOLD, 50, 50)
    try:
        if args.format == "jsonl":
            _write_jsonl(transactions, out)
        else:
            _write_table(transactions, out)
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
    out.flush()
    return 0 if transactions.clean else 1


class ParsedInputs:
    """Iterates the accepted transaction sets of all files; reports problems on ``err``."""

    def __init__(self, files: Iterable[str], err: TextIO) -> None:
        self.files = files
        self.err = err
        self.clean = True

    def __iter__(self) -> Iterator[ParsedTransaction]:
        err = self.err
        for name in self.files:
            try:
                for item in parse_path(name):
                    if isinstance(item, Problem):
                        self.report(item)
                        continue
                    for problem in item.problems:
                        self.report(problem)
                    yield item
            except X12Error as exc:  # a parser bug: still one line, never a traceback
                self.report(exc.problem)
            err.flush()

    def report(self, problem: Problem) -> None:
        self.clean = False
        self.err.write(f"{problem}\n")


def _write_jsonl(transactions: ParsedInputs, out: TextIO) -> None:
    lines = _JsonLines().lines if _SPLICE else _plain_lines
    write = out.write
    for txn in transactions:
        if txn.adjustments:
            write("\n".join(lines(txn.adjustments)))
            write("\n")


# ASCII output (the encoder's default) is valid JSON whatever the terminal encoding is
_ENCODE = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
_str = encode_basestring_ascii
_SPLICED_FIELDS = (
    *("event_id", "file", "implementation", "interchange", "functional_group", "transaction"),
    *("segment_no", "payer_name", "payer_id", "payee_name", "payee_npi", "trace", "remit_date"),
    *("claim_id", "claim_status", "claim_charge", "claim_paid", "patient_responsibility"),
    *("claim_filing_indicator", "payer_claim_id", "patient_name", "member_id", "level", "line"),
    *("procedure", "modifiers", "units", "line_charge", "line_paid", "allowed_amount"),
    *("service_date", "group_code", "carc", "amount", "quantity", "rarcs", "plb_reference"),
    *("reversal", "balance_error", "ingested_at"),
)
# _JsonLines writes exactly these fields in this order; another schema takes the plain encoder
_SPLICE = _SPLICED_FIELDS == ADJUSTMENT_FIELDS
_HEAD = _SPLICED_FIELDS[1:6]


def _plain_lines(adjustments: list[Adjustment]) -> list[str]:
    return [_ENCODE(adjustment) for adjustment in adjustments]


def _json(value: object) -> str:
    return "null" if value is None else _ENCODE(value)


def _claim_json(fields: tuple[object, ...]) -> str:
    """payer_name .. member_id: the same for every adjustment of a claim."""
    a, b, c, d, e, f, g, h, i, j, k, m, n, o, p = fields
    return (
        f'"payer_name":{_str(a) if isinstance(a, str) else _json(a)},'
        f'"payer_id":{_str(b) if isinstance(b, str) else _json(b)},'
        f'"payee_name":{_str(c) if isinstance(c, str) else _json(c)},'
        f'"payee_npi":{_str(d) if isinstance(d, str) else _json(d)},'
        f'"trace":{_str(e) if isinstance(e, str) else _json(e)},'
        f'"remit_date":{_str(f) if isinstance(f, str) else _json(f)},'
        f'"claim_id":{_str(g) if isinstance(g, str) else _json(g)},'
        f'"claim_status":{_str(h) if isinstance(h, str) else _json(h)},'
        f'"claim_charge":{_str(i) if isinstance(i, str) else _json(i)},'
        f'"claim_paid":{_str(j) if isinstance(j, str) else _json(j)},'
        f'"patient_responsibility":{_str(k) if isinstance(k, str) else _json(k)},'
        f'"claim_filing_indicator":{_str(m) if isinstance(m, str) else _json(m)},'
        f'"payer_claim_id":{_str(n) if isinstance(n, str) else _json(n)},'
        f'"patient_name":{_str(o) if isinstance(o, str) else _json(o)},'
        f'"member_id":{_str(p) if isinstance(p, str) else _json(p)}'
    )


def _line_json(fields: tuple[object, ...]) -> str:
    """level .. service_date: the same for every adjustment of a service line."""
    a, b, c, d, e, f, g, h, i = fields
    return (
        f'"level":{_str(a) if isinstance(a, str) else _json(a)},'
        f'"line":{b if type(b) is int else _json(b)},'
        f'"procedure":{_str(c) if isinstance(c, str) else _json(c)},'
        f'"modifiers":{"[]" if type(d) is list and not d else _json(d)},'
        f'"units":{_str(e) if isinstance(e, str) else _json(e)},'
        f'"line_charge":{_str(f) if isinstance(f, str) else _json(f)},'
        f'"line_paid":{_str(g) if isinstance(g, str) else _json(g)},'
        f'"allowed_amount":{_str(h) if isinstance(h, str) else _json(h)},'
        f'"service_date":{_str(i) if isinstance(i, str) else _json(i)}'
    )


def _tail_json(fields: tuple[object, ...]) -> str:
    """quantity .. ingested_at: mostly the same from one adjustment to the next."""
    d, e, f, g, h, i = fields
    return (
        f'"quantity":{_str(d) if isinstance(d, str) else _json(d)},'
        f'"rarcs":{"[]" if type(e) is list and not e else _json(e)},'
        f'"plb_reference":{_str(f) if isinstance(f, str) else _json(f)},'
        f'"reversal":{"false" if g is False else "true" if g is True else _json(g)},'
        f'"balance_error":{_str(h) if isinstance(h, str) else _json(h)},'
        f'"ingested_at":{_str(i) if isinstance(i, str) else _json(i)}'
    )


class _JsonLines:
    """Encodes adjustments like ``_ENCODE`` (byte for byte), about twice as fast: the JSON of
    the fields an adjustment shares with the one before it (same transaction set, claim or line)
    is reused, the rest is spliced in by hand. Shared fields are compared by value, which is
    exact because the parser gives each field one type (``1`` and ``True`` never meet). Values
    are read by position: the parser builds every adjustment with the ADJUSTMENT_FIELDS keys in
    schema order; a dict with another number of keys takes the plain encoder."""

    def __init__(self) -> None:
        self.keys: tuple[object, object, object, object] = (None, None, None, None)
        self.parts = ("", "", "", "")

    def lines(self, adjustments: list[Adjustment]) -> list[str]:
        if adjustments and tuple(adjustments[0]) != _SPLICED_FIELDS:
            return _plain_lines(adjustments)  # fields not in schema order: never splice
        out: list[str] = []
        append = out.append
        size = len(_SPLICED_FIELDS)
        head_key, claim_key, line_key, tail_key = self.keys
        head, claim, line, tail = self.parts
        for adjustment in adjustments:
            if len(adjustment) != size:  # not the parser's schema (order checked in tests)
                append(_ENCODE(adjustment))
                continue
            values = tuple(adjustment.values())
            key = values[1:6]
            if key != head_key:
                head_key, head = key, _ENCODE(dict(zip(_HEAD, key, strict=True)))[1:-1]
            key = values[7:22]
            if key != claim_key:
                claim_key, claim = key, _claim_json(key)
            key = values[22:31]
            if key != line_key:
                line_key, line = key, _line_json(key)
            key = values[34:]
            if key != tail_key:
                tail_key, tail = key, _tail_json(key)
            x, y, a, b, c = values[0], values[6], values[31], values[32], values[33]
            append(
                f'{{"event_id":{_str(x) if isinstance(x, str) else _json(x)},{head},'
                f'"segment_no":{y if type(y) is int else _json(y)},{claim},{line},'
                f'"group_code":{_str(a) if isinstance(a, str) else _json(a)},'
                f'"carc":{_str(b) if isinstance(b, str) else _json(b)},'
                f'"amount":{_str(c) if isinstance(c, str) else _json(c)},{tail}}}'
            )
        self.keys = (head_key, claim_key, line_key, tail_key)
        self.parts = (head, claim, line, tail)
        return out


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = ",".join(str(item) for item in value) if isinstance(value, list) else str(value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _procedure(adjustment: dict[str, object]) -> str | None:
    procedure = adjustment["procedure"]
    modifiers = adjustment["modifiers"]
    if procedure is None:
        return None
    if isinstance(modifiers, list) and modifiers:
        return ":".join([str(procedure), *map(str, modifiers)])
    return str(procedure)


def _write_table(transactions: ParsedInputs, out: TextIO) -> None:
    rows: list[tuple[str, ...]] = []
    amount_total = Decimal(0)
    by_level: dict[str, Decimal] = {}
    for txn in transactions:
        for adjustment in txn.adjustments:
            group = adjustment["group_code"]
            carc = str(adjustment["carc"])
            rows.append(
                (
                    _cell(adjustment["file"]),
                    _cell(adjustment["claim_id"]),
                    _cell(adjustment["line"]),
                    f"{group}-{carc}" if group else carc,
                    _cell(adjustment["amount"]),
                    _cell(_procedure(adjustment)),
                    _cell(adjustment["rarcs"]),
                ),
            )
            try:
                amount = Decimal(str(adjustment["amount"]))
            except InvalidOperation:  # pragma: no cover - the parser only emits decimals
                continue
            amount_total += amount
            level = str(adjustment["level"])
            by_level[level] = by_level.get(level, Decimal(0)) + amount
    widths = [len(column) for column in TABLE_COLUMNS]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    numeric = {2, 4}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if index in numeric else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    write = out.write
    write(line(TABLE_COLUMNS) + "\n")
    write(line(tuple("-" * width for width in widths)) + "\n")
    for row in rows:
        write(line(row) + "\n")
    write("\n")
    summary = ", ".join(f"{level} {value}" for level, value in sorted(by_level.items()))
    write(f"{len(rows)} adjustments, total amount {amount_total}")
    write(f" ({summary})\n" if summary else "\n")
