"""Helpers shared by the test modules (importable because pyproject puts tests/helpers on the
path; fixtures live in tests/conftest.py)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry

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


def documented_event_ids(envelope: list[str], adjustments: list[list[str]]) -> list[str]:
    """Event ids of one transaction set computed as docs/events.md says: ``envelope`` is
    [ISA06, ISA08, ISA13, GS06, ST02]; each adjustment is [position in set, index, *content].
    Provisional id = SHA-256 over envelope + adjustment joined by US; the set fingerprint =
    SHA-256 over the joined envelope (with a trailing US) then every provisional id; final id =
    SHA-256 over fingerprint + provisional id. All cut to 32 hex characters."""
    unit = "\x1f"
    provisional = [
        hashlib.sha256(unit.join([*envelope, *parts]).encode()).hexdigest()[:32]
        for parts in adjustments
    ]
    digest = hashlib.sha256((unit.join(envelope) + unit).encode())
    for ident in provisional:
        digest.update(ident.encode())
    fingerprint = digest.hexdigest()[:32]
    return [
        hashlib.sha256(f"{fingerprint}{ident}".encode()).hexdigest()[:32] for ident in provisional
    ]


def id_parts(adjustment: dict[str, Any], position: int, index: int, raw: str = "") -> list[str]:
    """The [position, index, *content] list of :func:`documented_event_ids` for an adjustment:
    CAS content is claim id, payer claim id, group, code and amount; PLB content is the raw
    reason composite (``raw``, e.g. ``WO:INV-9``) and amount."""
    if adjustment["level"] == "provider":
        content = [raw or str(adjustment["carc"]), str(adjustment["amount"])]
    else:
        content = [
            str(adjustment["claim_id"] or ""),
            str(adjustment["payer_claim_id"] or ""),
            str(adjustment["group_code"]),
            str(adjustment["carc"]),
            str(adjustment["amount"]),
        ]
    return [str(position), str(index), *content]


def run_era(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``era ARGS`` to completion; output captured as text, exit code left to the caller."""
    return subprocess.run(
        era_command(*args),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def metric_samples(
    registry: CollectorRegistry,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``registry`` by name and labels (``_created`` timestamps left out)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if not sample.name.endswith("_created")
    }
