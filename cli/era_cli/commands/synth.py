"""`era synth`: write a deterministic, realistic, balanced X12 835 file (for tests and benchmarks).

Same seed and options give byte-identical output on any machine. The file streams out, so any
size can be written with flat memory. ``--summary`` prints what was written (counts per
group/CARC, totals) as JSON on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from era_ingest.synth import SynthSummary, generate

_BUFFER = 1 << 20


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return value


def register(subparsers: Any) -> None:
    """Add the ``synth`` subcommand."""
    parser = subparsers.add_parser(
        "synth",
        help="generate a realistic, balanced 835 file (deterministic per seed)",
        description=(
            "Generate a valid 005010X221A1 remittance file with dental and medical checks, every "
            "adjustment code of the default routing policy, reversals and PLB adjustments. "
            "Without --adjustments or --size-mb about 1000 adjustments are written."
        ),
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--adjustments", type=_positive_int, metavar="N", help="approximate adjustment count"
    )
    size.add_argument(
        "--size-mb", type=_positive_float, metavar="M", help="approximate file size in MB (10^6)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="output file (default stdout)")
    parser.add_argument("--payers", type=_positive_int, default=6, help="payers (default 6)")
    parser.add_argument("--payees", type=_positive_int, default=4, help="payees (default 4)")
    parser.add_argument(
        "--interchanges", type=_positive_int, default=1, help="ISA envelopes (default 1)"
    )
    parser.add_argument(
        "--kind", choices=("mixed", "dental", "medical"), default="mixed", help="line of business"
    )
    parser.add_argument(
        "--unknown-codes", action="store_true", help="include a few CARCs not in the code list"
    )
    parser.add_argument(
        "--single-line", action="store_true", help="no newline after the ~ segment terminator"
    )
    parser.add_argument(
        "--summary", action="store_true", help="print the run summary as JSON on stderr"
    )
    parser.set_defaults(func=run)


def summary_json(summary: SynthSummary) -> dict[str, Any]:
    """The summary as JSON-ready data (Decimals become strings, ``expected`` is left out)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    data = asdict(summary)
    data.pop("expected", None)
    return {k: plain(v) for k, v in data.items()}


def _generate(out: BinaryIO, args: argparse.Namespace) -> SynthSummary:
    return generate(
        out,
        seed=args.seed,
        target_adjustments=args.adjustments,
        target_bytes=None if args.size_mb is None else int(args.size_mb * 1_000_000),
        payers=args.payers,
        payees=args.payees,
        interchanges=args.interchanges,
        unknown_codes=args.unknown_codes,
        newlines=not args.single_line,
        kind=args.kind,
    )


def run(args: argparse.Namespace) -> int:
    """Generate the file described by ``args``; returns the exit status."""
    if args.out is None:
        summary = _generate(sys.stdout.buffer, args)
        sys.stdout.buffer.flush()
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("wb", buffering=_BUFFER) as out:
            summary = _generate(out, args)
    if args.summary:
        json.dump(summary_json(summary), sys.stderr, indent=2)
        sys.stderr.write("\n")
    return 0
