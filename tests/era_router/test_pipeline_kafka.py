"""The whole pipeline on a real broker: ingest → classifier → router, checked against
`era explain` (the same decisions computed offline)."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from era_contract.topics import TopicNames
from era_ingest.synth import generate
from era_kafka.config import KafkaSettings
from era_kafka.reader import end_offsets
from era_testing import committed_count, routed_records, run_era, wait_for

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "era-samples"


def _explain(paths: list[Path], env: dict[str, str]) -> dict[str, str]:
    """event_id → route, as `era explain --format jsonl` predicts it."""
    result = run_era("explain", "--format", "jsonl", *map(str, paths), env=env, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return {row["event_id"]: row["route"] for row in map(json.loads, result.stdout.splitlines())}


def _ingest(paths: list[Path], env: dict[str, str]) -> None:
    result = run_era("ingest", *map(str, paths), env=env, timeout=180)
    assert "adjustments" in result.stdout, result.stderr


def _route_of_each_event(
    kafka: KafkaSettings, names: TopicNames
) -> tuple[dict[str, str], Counter[str]]:
    seen: Counter[str] = Counter()
    routes: dict[str, str] = {}
    for route, records in routed_records(kafka, names).items():
        for record in records:
            seen[record["event_id"]] += 1
            routes[record["event_id"]] = route
            assert record["route"] == route
    return routes, seen


def _routes_once_complete(
    kafka: KafkaSettings, names: TopicNames, expected: int, timeout: float = 120
) -> tuple[dict[str, str], Counter[str]]:
    """:func:`_route_of_each_event` once ``expected`` distinct events are on the route topics,
    or when ``timeout`` runs out. (``committed_count`` reaching ``expected`` is only an upper
    bound: transaction markers count there too, so records may still be in flight then.)"""
    deadline = time.monotonic() + timeout
    routes, seen = _route_of_each_event(kafka, names)
    while len(seen) < expected and time.monotonic() < deadline:
        time.sleep(1)
        routes, seen = _route_of_each_event(kafka, names)
    return routes, seen


def test_every_sample_adjustment_reaches_the_route_explain_predicts_exactly_once(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
) -> None:
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_file() and p.suffix != ".md")
    predicted = _explain(samples, era_env)
    assert len(predicted) > 150
    start_worker("classifier")
    start_worker("router")
    _ingest(samples, era_env)
    route_topics = list(topic_names.routes.values())
    wait_for(
        lambda: committed_count(kafka_settings, route_topics) >= len(predicted),
        120,
        "every adjustment to be routed",
    )
    routes, seen = _routes_once_complete(kafka_settings, topic_names, len(predicted))
    assert max(seen.values()) == 1, "an adjustment reached a route topic twice"
    assert routes == predicted


def test_two_routers_and_a_killed_classifier_still_give_exactly_one_copy(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    tmp_path: Path,
) -> None:
    path = tmp_path / "load.835"
    with path.open("wb") as out:
        summary = generate(out, seed=5, target_adjustments=6_000)
    predicted = _explain([path], era_env)
    assert len(predicted) == summary.adjustments
    classifier = start_worker("classifier")
    start_worker("router")
    start_worker("router")
    _ingest([path], era_env)

    def classified_in_flight() -> int:
        return sum(end_offsets(kafka_settings, topic_names.classified, committed=False).values())

    wait_for(lambda: classified_in_flight() > 1_500, 120, "the classifier to be mid-stream")
    classifier.send_signal(signal.SIGKILL)
    classifier.wait(10)
    assert classified_in_flight() < 2 * summary.adjustments, "killed before it finished"
    start_worker("classifier")

    route_topics = list(topic_names.routes.values())
    wait_for(
        lambda: committed_count(kafka_settings, route_topics) >= len(predicted),
        240,
        "every adjustment to be routed",
    )
    routes, seen = _routes_once_complete(kafka_settings, topic_names, len(predicted))
    assert sum(seen.values()) == len(predicted), "lost or doubled adjustments"
    assert max(seen.values()) == 1
    assert routes == predicted
