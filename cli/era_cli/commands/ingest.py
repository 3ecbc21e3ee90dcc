"""`era ingest FILE|DIR...` and `era ingest --watch DIR`: publish ERA files to Kafka
(the ingest service, :mod:`era_ingest.service`, does the work)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from era_cli.commands.parse import STRICT_ENV, add_strict_argument


def register(subparsers: Any) -> None:
    """Add the ``ingest`` command."""
    parser = subparsers.add_parser(
        "ingest",
        help="publish ERA files to Kafka (one transaction per file), or watch a drop folder",
        description="Publish ERA files to Kafka, one transaction per file, or watch a drop "
        "folder. Exit 0 when every file was accepted or already published (warnings "
        "included), 1 when a file or transaction set was rejected or an error reported, 2 for "
        "usage and configuration errors, unreadable files and Kafka failures.",
    )
    add_strict_argument(parser)
    parser.add_argument("paths", nargs="*", type=Path, metavar="FILE|DIR")
    parser.add_argument(
        "--watch",
        type=Path,
        metavar="DIR",
        help="run the drop-folder service on DIR (files move to DIR/done or DIR/rejected)",
    )
    parser.add_argument(
        "--max-seconds", type=float, help=argparse.SUPPRESS
    )  # bounded runs for tests and demos
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Publish the given files, or watch a folder until stopped."""
    if args.strict is not None:  # the setting the ingest service reads, for this run
        os.environ[STRICT_ENV] = "true" if args.strict else "false"
    if bool(args.paths) == bool(args.watch):
        print("era ingest: give FILE|DIR arguments or --watch DIR (not both)", file=sys.stderr)
        return 2
    from era_ingest import service  # noqa: PLC0415  (only the chosen command's imports)

    if args.watch:
        return service.watch(args.watch, max_seconds=args.max_seconds)
    return service.publish_files(args.paths)
