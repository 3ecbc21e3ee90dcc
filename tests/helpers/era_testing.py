"""Helpers shared by the test modules (importable because pyproject puts tests/helpers on the
path; fixtures live in tests/conftest.py)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from era_contract.topics import TopicNames
from era_kafka.clients import Codecs
from era_kafka.config import KafkaSettings
from era_kafka.reader import end_offsets, read_topic


def era_command(*args: str) -> list[str]:
    """The argv that runs ``era ARGS`` with this interpreter."""
    return [sys.executable, "-m", "era_cli.main", *args]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` every 0.2 s until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def read_records(kafka: KafkaSettings, topic: str, idle: float = 2.0) -> list[dict[str, Any]]:
    """Every committed record of ``topic``, decoded with the topic's schema."""
    codec = Codecs().for_schema(TopicNames(topic.split(".", maxsplit=1)[0]).schema_for(topic))
    return [
        codec.decode(record.value)
        for record in read_topic(kafka, topic, idle_timeout=idle)
        if record.value is not None
    ]


def routed_records(kafka: KafkaSettings, names: TopicNames) -> dict[str, list[dict[str, Any]]]:
    """Route name → the committed records on its topic."""
    return {route: read_records(kafka, topic) for route, topic in names.routes.items()}


def committed_count(kafka: KafkaSettings, topics: list[str]) -> int:
    """Records read_committed consumers can reach on ``topics`` (last stable offsets; transaction
    markers count too, so this is an upper bound used only to wait)."""
    return sum(sum(end_offsets(kafka, topic).values()) for topic in topics)
