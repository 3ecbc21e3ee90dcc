"""`era parse FILE...`: parse 835 files and print their adjustments (no broker, no classifier).

Every problem is one line on stderr (``FILE:SEGMENT: what was expected``; warnings as
``FILE:SEGMENT: WARNING ...``) while the good adjustments still go to stdout. Exit status (the
same for `era explain` and `era ingest`): 0 when every transaction set was accepted, warnings
(a claim that does not balance, a wrapped or padded file, a wrong envelope count) included; 1
when a set or a file was rejected or another error was reported; 2 for a usage error or a file
that cannot be read (2 wins over 1). ``--strict`` (or ``ERA_INGEST_STRICT_ENVELOPE=true``)
rejects sets whose envelope counts or control numbers are wrong. ``--format jsonl`` streams one
compact JSON object per adjustment, transaction set by transaction set; ``--format table`` (the
default) collects the rows to align the columns, then prints totals. ``--records claims``
prints one record per CLP (with every service line) and ``--records remittances`` one per
transaction set instead of the adjustments (:mod:`.parse_records`).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from era_ingest.x12 import ParsedTransaction, Problem, X12Error, parse_path
from era_ingest.x12.problems import IO
from era_ingest.x12.startup import TextIO  # no typing import at start-up

_GC_THRESHOLD = 100_000
TABLE_COLUMNS = ("file", "claim", "line", "group-carc", "amount", "procedure", "rarcs")
_MAX_CELL = 40


EXIT_STATUS = (
    "Exit 0 when every transaction set was accepted (warnings included), 1 when a set or file "
    "was rejected or an error reported, 2 for usage errors and files that cannot be read."
)
STRICT_ENV = "ERA_INGEST_STRICT_ENVELOPE"


def strict_default() -> bool:
    """``ERA_INGEST_STRICT_ENVELOPE`` as a boolean (true, 1, yes, on)."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def add_strict_argument(parser: argparse.ArgumentParser) -> None:
    """``--strict``/``--no-strict``: strict X12 envelope checking (default from the env)."""
    parser.add_argument(
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="reject transaction sets whose SE01/SE02 are wrong and report wrong GE/IEA "
        f"trailers as errors (default: {STRICT_ENV}, else off: read whole with a warning)",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``parse`` subcommand."""
    parser = subparsers.add_parser(
        "parse",
        help="parse X12 835 files and print one adjustment per CAS triplet / PLB adjustment",
        description=(
            "Parse X12 835 (ERA) files; one 'FILE:SEGMENT: problem' line per problem on stderr. "
            + EXIT_STATUS
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="835 files to parse")
    add_strict_argument(parser)
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
    transactions = ParsedInputs(args.files, sys.stderr, strict=_strict(args))
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
    return transactions.exit_status()


def _strict(args: argparse.Namespace) -> bool:
    strict = getattr(args, "strict", None)
    return strict_default() if strict is None else bool(strict)


class ParsedInputs:
    """Iterates the accepted transaction sets of all files; reports problems on ``err``.

    ``errors`` counts the error problems (rejected sets and files included), ``io_errors``
    those about reading a file, ``warnings`` the rest; :meth:`exit_status` decides from them.
    """

    def __init__(self, files: Iterable[str], err: TextIO, *, strict: bool = False) -> None:
        self.files = files
        self.err = err
        self.strict = strict
        self.errors = 0
        self.io_errors = 0
        self.warnings = 0

    @property
    def clean(self) -> bool:
        """Whether nothing at all (not even a warning) was reported."""
        return not (self.errors or self.io_errors or self.warnings)

    def exit_status(self) -> int:
        """2 when a file could not be read, else 1 when an error was reported, else 0."""
        if self.io_errors:
            return 2
        return 1 if self.errors else 0

    def __iter__(self) -> Iterator[ParsedTransaction]:
        err = self.err
        for name in self.files:
            try:
                for item in parse_path(name, strict=self.strict):
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
        if problem.severity == "warning":
            self.warnings += 1
        elif problem.kind == IO:
            self.io_errors += 1
        else:
            self.errors += 1
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
