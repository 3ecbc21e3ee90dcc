"""Process-wide logging and the metrics endpoint, shared by every long-running command."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def log_level() -> str:
    """``ERA_LOG_LEVEL`` (default INFO)."""
    return os.environ.get("ERA_LOG_LEVEL", "INFO").upper()


def logging_config(level: str | None = None) -> dict[str, object]:
    """A ``logging.config.dictConfig`` for JSON lines on stderr (also handed to faust/mode)."""
    level = level or log_level()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
                "level": level,
            }
        },
        "root": {"level": level, "handlers": ["default"]},
    }


def configure_logging() -> None:
    """JSON logs on stderr at ``ERA_LOG_LEVEL`` (default INFO)."""
    logging.config.dictConfig(logging_config())


def serve_metrics(
    registry: CollectorRegistry, host: str, port: int, ready: Callable[[], bool]
) -> ThreadingHTTPServer | None:
    """Serve ``/metrics``, ``/healthz`` (process up) and ``/readyz`` (``ready()``) on
    host:port in a daemon thread; port 0 disables it."""
    if not port:
        return None

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                self._reply(200, b'{"status":"ok"}', "application/json")
            elif path == "/readyz":
                ok = ready()
                body = b'{"status":"ready"}' if ok else b'{"status":"not ready"}'
                self._reply(200 if ok else 503, body, "application/json")
            else:
                self._reply(404, b"not found", "text/plain")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Scrapes are not worth a log line each."""

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    logging.getLogger("era").info("metrics and health on http://%s:%d", host, port)
    return server
