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
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand that is installed."""
    parser = argparse.ArgumentParser(
        prog="era",
        description="Turn X12 835 remittance files into classified, routed work on Kafka.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"era_cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"era_cli.commands.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `era` with ``argv`` (default: the process arguments); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
