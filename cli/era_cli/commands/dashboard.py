"""`era dashboard`: the live ops page (the dashboard service)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pydantic import ValidationError

from era_streams.logs import configure_logging


def register(subparsers: Any) -> None:
    """Add the ``dashboard`` command."""
    parser = subparsers.add_parser(
        "dashboard",
        help="serve the live ops page (throughput, lag, routes, denials, health) on loopback",
        description="Serve a read-only page of the pipeline's metrics. Settings: ERA_DASHBOARD_*"
        " (host, port, the services' URLs), ERA_PROMETHEUS_URL to read a Prometheus instead.",
    )
    parser.add_argument("--host", help="listen address (ERA_DASHBOARD_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (ERA_DASHBOARD_PORT, default 8004)")
    parser.add_argument(
        "--prometheus-url", help="read a Prometheus instead of the services (ERA_PROMETHEUS_URL)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the settings from the environment and the options, then run the service."""
    from era_dashboard.service import run as serve  # noqa: PLC0415 - only this command needs it
    from era_dashboard.settings import DashboardSettings  # noqa: PLC0415

    configure_logging()
    overrides = {
        key: value
        for key, value in (
            ("host", args.host),
            ("port", args.port),
            ("prometheus_url", args.prometheus_url),
        )
        if value is not None
    }
    try:
        settings = DashboardSettings(**overrides)
    except ValidationError as exc:
        print(f"era dashboard: invalid configuration: {exc}", file=sys.stderr)
        return 2
    return serve(settings)
