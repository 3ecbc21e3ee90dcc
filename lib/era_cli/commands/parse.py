"""`era parse FILE...`: parse 835 files and print their adjustments (no broker, no classifier).

Exit status 0 only when every input parsed cleanly; otherwise 1, with one line per problem on
stderr (``FILE:SEGMENT_NO: what was expected``) while the good adjustments still go to stdout.
Warnings (a claim or payment that does not balance, a bad date, an unknown segment) are problems
too: the file did not parse cleanly. ``--format jsonl`` streams one compact JSON object per
adjustment, transaction set by transaction set; ``--format table`` (the default) collects the rows
to align the columns, then prints totals. ``--records claims`` prints one record per CLP (with
every service line) and ``--records remittances`` one per transaction set instead of the
adjustments (:mod:`.parse_records`).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from era_ingest.x12 import ParsedTransaction, Problem, X12Error, parse_path

TYPE_CHECKING = False  # typing itself is not imported at run time
if TYPE_CHECKING:
    from typing import TextIO

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
        help="jsonl: one JSON object per record; table: aligned columns with totals",
    )
    parser.add_argument(
        "--records",
        choices=("adjustments", "claims", "remittances"),
        default="adjustments",
        help="adjustments (default): one per CAS triplet / PLB adjustment; claims: one per CLP "
        "with every service line; remittances: one per transaction set (check or EFT)",
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
        kind = getattr(args, "records", "adjustments")
        if kind != "adjustments":
            from era_cli.commands import parse_records  # noqa: PLC0415 - start-up time

            writer = (
                parse_records.write_jsonl if args.format == "jsonl" else parse_records.write_table
            )
            writer(transactions, kind, out)
        elif args.format == "jsonl":
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
    write = out.write
    for txn in transactions:
        lines = txn.json_lines()
        if lines:
            lines.append("")
            write("\n".join(lines))


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
