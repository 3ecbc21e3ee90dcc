"""examples/faust_consumer.py, a downstream faust app on the contract package's faust codec and
models, consumes the route topics of a real broker read_committed: every committed work item
once, nothing of an aborted transaction."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from era_classifier.classification import Classifier
from era_classifier.kb import load_knowledge_base
from era_classifier.stage import ROUTER_FIELDS
from era_contract.topics import ROUTES, TopicNames
from era_kafka.clients import Codecs, producer_config
from era_kafka.config import KafkaSettings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "faust_consumer.py"
CASES = [("CO", "45"), ("PR", "1"), ("PR", "2"), ("CO", "50"), ("OA", "23"), ("CO", "16")]


def _work_items(make_adjustment: Callable[..., dict[str, Any]], file: str) -> list[dict[str, Any]]:
    classifier = Classifier(load_knowledge_base())
    items = []
    for n in range(24):
        group, carc = CASES[n % len(CASES)]
        adjustment = make_adjustment(group_code=group, carc=carc, claim_id=f"C{n}", file=file)
        fields = classifier.classify(adjustment)
        items.append({**adjustment, **fields, "classified_at": 1, **ROUTER_FIELDS})
    return items


def _publish(
    kafka: KafkaSettings, names: TopicNames, items: list[dict[str, Any]], commit: bool
) -> None:
    codec = Codecs(topics=names).classified
    producer = Producer(producer_config(kafka, transactional_id=f"faust-it-{uuid.uuid4().hex}"))
    producer.init_transactions(30)
    producer.begin_transaction()
    for item in items:
        topic = names.route(item["route"])
        producer.produce(topic, codec.encode(item, topic), f"{item['payer_id']}|{item['claim_id']}")
    producer.flush(30)
    if commit:
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)


def test_the_faust_example_consumes_committed_work_once(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    make_adjustment: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    committed = _work_items(make_adjustment, "committed.835")
    assert len({item["route"] for item in committed}) >= 3
    assert all(item["route"] in ROUTES for item in committed)
    _publish(kafka_settings, topic_names, _work_items(make_adjustment, "aborted.835"), False)
    _publish(kafka_settings, topic_names, committed, True)
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "ERA_TOPIC_PREFIX": topic_names.prefix,
        "ERA_EXAMPLE_APP_ID": f"faust-example-{uuid.uuid4().hex[:8]}",
    }
    out, log = tmp_path / "out.jsonl", tmp_path / "faust.log"
    with out.open("wb") as stdout, log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "worker", "-l", "warn", "--without-web"],
            env=env,
            stdout=stdout,
            stderr=stderr,
            cwd=tmp_path,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len(_lines(out)) < len(committed):
                assert process.poll() is None, log.read_text(errors="replace")[-3000:]
                time.sleep(0.5)
            time.sleep(3)  # anything more (a duplicate, an aborted record) would show by now
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
    lines = _lines(out)
    assert len(lines) == len(committed), log.read_text(errors="replace")[-3000:]
    by_id = {line["event_id"]: line for line in lines}
    assert set(by_id) == {item["event_id"] for item in committed}
    for item in committed:
        line = by_id[item["event_id"]]
        assert line == {
            "event_id": item["event_id"],
            "route": item["route"],
            "action": item["action"],
            "claim_id": item["claim_id"],
            "amount": item["amount"],
            "appeal_deadline": item["appeal_deadline"],
        }


def _lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
