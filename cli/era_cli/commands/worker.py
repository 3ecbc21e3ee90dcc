"""`era worker classifier|router`: run a stream worker until SIGTERM/SIGINT (each service's
``main()`` builds and hosts it)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``worker`` command."""
    parser = subparsers.add_parser("worker", help="run the classifier or router stream worker")
    parser.add_argument("service", choices=("classifier", "router"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen worker; 2 on an invalid configuration."""
    if args.service == "classifier":
        from era_classifier.service import main  # noqa: PLC0415
    else:
        from era_router.service import main  # noqa: PLC0415
    return main()
