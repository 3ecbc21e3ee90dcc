"""Links across files on a real broker: the classifier's claim index lives in its changelog
topic, so a reversal and a recoupment in a second file link to the first file's claims after the
classifier was killed with SIGKILL in between; every link is what `era explain` makes offline."""

from __future__ import annotations

import json
import signal
from collections import Counter
from typing import Any

import pytest

from era_classifier.links import LINK_FIELDS, ORIGINAL_NOT_SEEN
from era_contract.topics import TopicNames
from era_kafka.config import KafkaSettings
from era_kafka.reader import read_topic
from era_links import ORIGINAL, REVERSAL
from era_testing import read_records, run_era, wait_for

pytestmark = pytest.mark.integration


def _links(record: dict[str, Any]) -> tuple[object, ...]:
    return (
        *(record[f] for f in LINK_FIELDS),
        ORIGINAL_NOT_SEEN in record["flags"],
        record["route"],
    )


def _routed(kafka: KafkaSettings, names: TopicNames) -> list[dict[str, Any]]:
    return [r for topic in names.routes.values() for r in read_records(kafka, topic, 1.0)]


def test_links_survive_a_killed_classifier_and_match_explain(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
) -> None:
    result = run_era("explain", "--format", "jsonl", str(ORIGINAL), str(REVERSAL), env=era_env)
    assert result.returncode == 0, result.stderr
    predicted = {r["event_id"]: _links(r) for r in map(json.loads, result.stdout.splitlines())}
    first = run_era("explain", "--format", "jsonl", str(ORIGINAL), env=era_env)
    first_ids = {json.loads(line)["event_id"] for line in first.stdout.splitlines()}

    classifier = start_worker("classifier")
    start_worker("router")
    assert run_era("ingest", str(ORIGINAL), env=era_env, timeout=120).returncode == 0
    wait_for(
        lambda: {r["event_id"] for r in _routed(kafka_settings, topic_names)} == first_ids,
        90,
        "the first file routed",
    )
    classifier.send_signal(signal.SIGKILL)
    classifier.wait(10)
    start_worker("classifier")  # empty memory: the index comes back from the changelog
    assert run_era("ingest", str(REVERSAL), env=era_env, timeout=120).returncode == 0
    wait_for(
        lambda: len(_routed(kafka_settings, topic_names)) >= len(predicted),
        120,
        "the second file routed",
    )
    routed = _routed(kafka_settings, topic_names)
    assert Counter(r["event_id"] for r in routed) == Counter(set(predicted)), "each event once"
    got = {r["event_id"]: _links(r) for r in routed}
    assert got == predicted
    made = Counter(
        "reversal" if r["reverses_event_id"] else "correction" if r["corrects_claim_event_id"]
        else "plb" if r["matched_claim_id"] else "not_seen" if r["flags"] else "none"
        for r in routed
    )  # fmt: skip
    assert made == {"reversal": 2, "correction": 2, "plb": 1, "not_seen": 1, "none": 5}
    changelog = list(read_topic(kafka_settings, topic_names.classifier_changelog, idle_timeout=1))
    assert changelog and all(r.key for r in changelog)
