"""The dashboard service's wiring: settings, the poller and the HTTP server, until stopped."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from era_dashboard.collector import Collector
from era_dashboard.server import make_server
from era_dashboard.settings import DashboardSettings
from era_streams.logs import configure_logging

log = logging.getLogger("era.dashboard")


def run(settings: DashboardSettings, stop: threading.Event | None = None) -> int:
    """Serve the page until SIGTERM/SIGINT (or ``stop`` is set); returns the exit code."""
    stop = stop or threading.Event()
    collector = Collector(settings)
    try:
        server = make_server(settings.host, settings.port, collector.latest)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", settings.host, settings.port, exc)
        return 1
    host, port = server.server_address[:2]
    if threading.current_thread() is threading.main_thread():

        def handler(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
    collector.start()
    thread = threading.Thread(target=server.serve_forever, name="dashboard-http", daemon=True)
    thread.start()
    source = settings.prometheus_url or ", ".join(settings.service_urls().values())
    log.info("dashboard on http://%s:%d (reading %s)", host, port, source)
    stop.wait()
    collector.stop()
    server.shutdown()
    server.server_close()
    return 0


def main() -> int:
    """``python -m era_dashboard``: the page with the settings of the environment."""
    configure_logging()
    return run(DashboardSettings())
