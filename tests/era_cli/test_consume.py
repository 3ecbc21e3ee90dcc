"""`era consume` against a real broker: committed records only, undecodable ones shown raw."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from confluent_kafka import Producer

from era_contract.codec import AvroCodec
from era_contract.schemas import ADJUSTMENT
from era_contract.topics import TopicNames
from era_kafka.clients import producer_config
from era_kafka.config import KafkaSettings

pytestmark = pytest.mark.integration


def _era(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "era_cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_consume_prints_committed_records_only(
    kafka_settings: KafkaSettings, topic_names: TopicNames, make_adjustment: Any
) -> None:
    codec = AvroCodec(ADJUSTMENT)
    committed = [make_adjustment(claim_id=f"C{i}", amount=f"{i}.10") for i in range(10)]
    producer = Producer(producer_config(kafka_settings, transactional_id="test-consume"))
    producer.init_transactions(30)
    producer.begin_transaction()
    for record in committed:
        producer.produce(topic_names.adjustments, codec.encode(record), record["claim_id"])
    producer.commit_transaction(30)
    producer.begin_transaction()
    for i in range(5):
        producer.produce(topic_names.adjustments, codec.encode(make_adjustment(claim_id=f"X{i}")))
    producer.abort_transaction(30)
    plain = Producer(producer_config(kafka_settings))
    plain.produce(topic_names.adjustments, b"not avro", b"poison")
    plain.flush(30)

    result = _era("consume", topic_names.adjustments, "--from-beginning", "--idle-timeout", "3")

    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    decoded = sorted((r for r in rows if "_undecodable" not in r), key=lambda r: r["claim_id"])
    assert decoded == sorted(committed, key=lambda r: r["claim_id"])
    poison = [r for r in rows if "_undecodable" in r]
    assert len(poison) == 1
    assert poison[0]["_key"] == "poison"
    assert "not an Avro record" in poison[0]["_undecodable"]


def test_consume_table_and_idle_exit_on_empty_topic(topic_names: TopicNames) -> None:
    result = _era("consume", topic_names.adjustments, "--idle-timeout", "1", "--format", "table")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[:4] == ["partition", "offset", "claim_id", "line"]


def test_consume_unknown_topic_is_a_clear_error(topic_names: TopicNames) -> None:
    result = _era("consume", "nope.topic", "--idle-timeout", "1")
    assert result.returncode == 2
    assert "not one of the pipeline's topics" in result.stderr


def test_topics_create_is_idempotent(topic_names: TopicNames) -> None:
    result = _era("topics", "create")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == topic_names.all()
    assert all("\texists\t" in line for line in lines)
