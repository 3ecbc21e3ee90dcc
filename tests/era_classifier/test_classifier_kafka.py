"""Poison records on a real broker: dead-lettered with their bytes and headers, and the worker
goes on with the next record."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import Producer

from era_contract.codec import AvroCodec
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT, DEAD_LETTER
from era_contract.topics import TopicNames
from era_kafka.clients import producer_config
from era_kafka.config import KafkaSettings
from era_kafka.reader import read_topic
from era_testing import committed_count, read_records, wait_for

pytestmark = pytest.mark.integration


def test_poison_in_each_input_topic_is_dead_lettered_and_the_workers_carry_on(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    start_worker: Any,
    make_adjustment: Any,
) -> None:
    start_worker("classifier")
    start_worker("router")
    producer = Producer(producer_config(kafka_settings))
    adjustment_codec = AvroCodec(ADJUSTMENT)
    poison_adjustment = b"\xc3\x01not-a-fingerprint"
    bad_amount = adjustment_codec.encode(make_adjustment(amount="12,50", claim_id="BAD"))
    bad_classified = AvroCodec(CLASSIFIED_ADJUSTMENT).encode(
        {
            **make_adjustment(level="galaxy"),
            "category": "x",
            "action": "x",
            "route": "review",
            "appealable": "no",
            "who_pays": "provider",
            "patient_billable": False,
            "rule_id": "x",
            "explanation": "x",
            "kb_version": "x",
            "rules_version": "x",
        }
    )
    good = [make_adjustment(claim_id=f"G{i}") for i in range(3)]
    producer.produce(topic_names.adjustments, poison_adjustment, b"P|1", partition=0)
    producer.produce(topic_names.adjustments, bad_amount, b"P|2", partition=0)
    producer.produce(topic_names.classified, bad_classified, b"P|3", partition=0)
    producer.produce(topic_names.classified, None, b"P|4", partition=0)  # a tombstone
    for record in good:  # behind the poison on the same partition
        producer.produce(
            topic_names.adjustments, adjustment_codec.encode(record), b"G", partition=0
        )
    producer.flush(30)

    wait_for(
        lambda: committed_count(kafka_settings, list(topic_names.routes.values())) >= 3,
        90,
        "the good records behind the poison to be routed",
    )
    wait_for(
        lambda: committed_count(kafka_settings, [topic_names.deadletter]) >= 4,
        30,
        "the poison to be dead-lettered",
    )
    routed = [r for records in _routes(kafka_settings, topic_names) for r in records]
    assert sorted(r["claim_id"] for r in routed) == ["G0", "G1", "G2"]

    dead = list(read_topic(kafka_settings, topic_names.deadletter, idle_timeout=2))
    by_key = {d.key: d for d in dead}
    assert set(by_key) == {b"P|1", b"P|2", b"P|3", b"P|4"}
    codec = AvroCodec(DEAD_LETTER)  # one shape on the topic: every record is a DeadLetter
    letters = {key: codec.decode(d.value) for key, d in by_key.items()}
    assert letters[b"P|1"]["payload"] == poison_adjustment  # bytes untouched
    assert letters[b"P|2"]["payload"] == bad_amount
    assert letters[b"P|4"]["payload"] is None  # the tombstone
    assert {key: letter["source_key"] for key, letter in letters.items()} == {
        key: key for key in by_key
    }
    assert letters[b"P|1"]["source_topic"] == topic_names.adjustments
    assert (letters[b"P|1"]["source_partition"], letters[b"P|1"]["source_offset"]) == (0, 0)
    assert letters[b"P|1"]["reason"] == "decode_error"
    assert letters[b"P|2"]["reason"] == "schema_violation"
    assert letters[b"P|3"]["service"] == "router"
    assert letters[b"P|3"]["source_topic"] == topic_names.classified
    headers = {k: dict(d.headers) for k, d in by_key.items()}
    assert headers[b"P|1"]["era.dlt.source.topic"] == topic_names.adjustments.encode()
    assert headers[b"P|1"]["era.dlt.source.partition"] == b"0"
    assert headers[b"P|1"]["era.dlt.source.offset"] == b"0"
    assert headers[b"P|1"]["era.dlt.exception.class"] == b"CodecError"
    assert headers[b"P|1"]["era.dlt.service"] == b"classifier"
    assert headers[b"P|2"]["era.dlt.exception.class"] == b"SchemaViolationError"
    assert b"amount" in headers[b"P|2"]["era.dlt.exception.message"]
    assert headers[b"P|3"]["era.dlt.service"] == b"router"
    assert headers[b"P|3"]["era.dlt.source.topic"] == topic_names.classified.encode()
    assert b"level" in headers[b"P|3"]["era.dlt.exception.message"]


def _routes(kafka: KafkaSettings, names: TopicNames) -> list[list[dict[str, Any]]]:
    return [read_records(kafka, topic) for topic in names.routes.values()]
