"""`era worker classifier|router`: run a stream worker until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import faust

from era_classifier.fee_schedule import FeeScheduleError
from era_classifier.kb import KnowledgeBaseError
from era_classifier.overrides import OverrideError
from era_cli.observability import log_level, logging_config


def register(subparsers: Any) -> None:
    """Add the ``worker`` command."""
    parser = subparsers.add_parser("worker", help="run the classifier or router stream worker")
    parser.add_argument("service", choices=("classifier", "router"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the worker's app (validating its configuration) and run it."""
    try:
        if args.service == "classifier":
            from era_classifier.app import create_app  # noqa: PLC0415
        else:
            from era_router.app import create_app  # noqa: PLC0415
        app = create_app()
    except (KnowledgeBaseError, FeeScheduleError, OverrideError, ValueError, OSError) as exc:
        print(f"era worker {args.service}: invalid configuration: {exc}", file=sys.stderr)
        return 2
    level = log_level()
    worker = faust.Worker(app, loglevel=level, quiet=True, logging_config=logging_config(level))
    worker.execute_from_commandline()
    return 0
