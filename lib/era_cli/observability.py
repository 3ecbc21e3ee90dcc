"""Process-wide logging and the metrics endpoint, shared by every long-running command."""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from prometheus_client import CollectorRegistry, start_http_server


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


def configure_logging() -> None:
    """JSON logs on stderr at ``ERA_LOG_LEVEL`` (default INFO)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("ERA_LOG_LEVEL", "INFO").upper())


def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> None:
    """Serve ``registry`` at http://host:port/metrics (port 0 disables it)."""
    if port:
        start_http_server(port, addr=host, registry=registry)
        logging.getLogger("era").info("metrics on http://%s:%d/metrics", host, port)
