"""Entry point of the `era` console command."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "parse",
    "explain",
    "synth",
    "ingest",
    "consume",
    "report",
    "topics",
    "worker",
    "dashboard",
)


def build_parser(commands: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """Build the argument parser with ``commands`` (default: every subcommand)."""
    parser = argparse.ArgumentParser(
        prog="era",
        description="Turn X12 835 remittance files into classified, routed work on Kafka.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in commands:
        importlib.import_module(f"era_cli.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `era` with ``argv`` (default: the process arguments); returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    # Import only the chosen command's module: `era parse` need not load faust.
    chosen = arguments[:1] if arguments[:1] and arguments[0] in COMMAND_MODULES else None
    parser = build_parser(chosen or COMMAND_MODULES)
    args = parser.parse_args(arguments)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
