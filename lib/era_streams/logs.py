"""Process-wide logging of every service: JSON lines on stderr at ``ERA_LOG_LEVEL``."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import time


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
    """JSON logs on stderr at ``ERA_LOG_LEVEL`` (default INFO), for commands run without the
    host (the host hands the same configuration to faust)."""
    logging.config.dictConfig(logging_config())
