"""A JVM posting system can consume the era topics without this project's code: a Java consumer
on Apache Kafka's kafka-clients and Apache Avro alone (tests/interop/java-consumer, built with
Maven from Maven Central) reads every event topic read_committed and decodes every record —
single-object encoding resolved by fingerprint from ``schemas/`` with Avro's ``SchemaStore`` and
``BinaryMessageDecoder``, the Confluent framing's body with Avro's ``GenericDatumReader`` — and
what it decodes is exactly what the pipeline published."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient

from era_contract.schemas import schemas_dir
from era_contract.topics import TopicNames
from era_kafka.admin import delete_topics, ensure_topics
from era_kafka.clients import Codecs, admin_config, consumer_config, producer_config
from era_kafka.config import KafkaSettings
from era_kafka.reader import ConsumedRecord, read_to_end
from era_testing import routed_records, run_era, wait_for
from java_reader import JavaRead, read_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "era-samples"


def event_topics(names: TopicNames) -> list[str]:
    """Every topic that carries Avro events (all but the services' internal topics)."""
    return [topic for topic in names.all() if topic not in names.internal]


def _python_view(
    kafka: KafkaSettings, names: TopicNames, codecs: Codecs
) -> dict[tuple[str, int, int], tuple[ConsumedRecord, dict[str, Any] | None]]:
    """(topic, partition, offset) → the record and its value as the pipeline's codec decodes
    it (None when it is not Avro: the raw record this test produces)."""
    view = {}
    for topic in event_topics(names):
        codec = codecs.for_schema(names.schema_for(topic))
        for record in read_to_end(kafka, topic):
            try:
                value = codec.decode(record.value or b"")
            except ValueError:
                value = None
            view[(topic, record.partition, record.offset)] = (record, value)
    return view


def _run_pipeline(
    kafka: KafkaSettings, names: TopicNames, era_env: dict[str, str], start_worker: Any
) -> int:
    """Every sample ERA through ingest, classifier and router, plus one record that is not
    Avro (the classifier dead-letters it in a DeadLetter); returns the number of routed
    adjustments."""
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_file() and p.suffix != ".md")
    explained = run_era(
        "explain", "--format", "jsonl", *map(str, samples), env=era_env, timeout=120
    )
    expected = len({json.loads(line)["event_id"] for line in explained.stdout.splitlines()})
    assert expected > 150
    producer = Producer(producer_config(kafka))
    producer.produce(names.adjustments, b"not an avro record", b"k")
    assert producer.flush(30) == 0
    workers = [start_worker("classifier"), start_worker("router")]
    ingested = run_era("ingest", *map(str, samples), env=era_env, timeout=180)
    assert "adjustments" in ingested.stdout, ingested.stderr
    wait_for(
        lambda: sum(map(len, routed_records(kafka, names).values())) >= expected,
        240,
        "every adjustment to be routed",
    )
    for worker in workers:  # nothing is written while the two readers read
        worker.terminate()
        worker.wait(30)
    return expected


def _compare(java: JavaRead, python: dict[Any, Any], topics: list[str], framing: str) -> None:
    expected = dict.fromkeys(topics, 0)
    for topic, _, _ in python:
        expected[topic] += 1
    assert java.counts == expected
    assert len(java.records) == len(python)
    for line in java.records:
        record, value = python[(line["topic"], line["partition"], line["offset"])]
        assert line["key"] == (record.key.decode() if record.key is not None else None)
        if value is None:
            assert line["framing"] == "raw"
            assert line["headers"] == {k: v.decode() for k, v in record.headers if v is not None}
            continue
        assert line["framing"] == framing, line
        assert line["value"] == _as_avro_json(value), line


def _as_avro_json(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` as Avro's ``GenericData.toString`` writes it: a bytes field (a dead letter's
    payload and source_key) as a string of its bytes, one character each."""
    return {
        name: field.decode("latin-1") if isinstance(field, bytes) else field
        for name, field in value.items()
    }


def test_the_java_consumer_decodes_every_record_of_every_event_topic(
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    era_env: dict[str, str],
    start_worker: Any,
    tmp_path: Path,
) -> None:
    routed = _run_pipeline(kafka_settings, topic_names, era_env, start_worker)
    topics = event_topics(topic_names)
    python = _python_view(kafka_settings, topic_names, Codecs())
    java = read_topics(
        kafka_settings.bootstrap_servers,
        topics,
        schemas=schemas_dir(),
        group=f"j{uuid.uuid4().hex}",
    )
    _compare(java, python, topics, "single-object")
    counts = java.counts
    assert sum(counts[t] for t in topic_names.routes.values()) == routed
    assert counts[topic_names.classified] == counts[topic_names.adjustments] - 1 == routed
    # the record that is not Avro, where it was produced and where the classifier put it
    raw = Counter(line["topic"] for line in java.records if line["framing"] == "raw")
    assert raw == {topic_names.adjustments: 1}  # the dead letter of it is a DeadLetter record
    assert counts[topic_names.deadletter] > 1  # it and ingest's DeadLetters, one shape
    schemas = {line["topic"]: line.get("schema") for line in java.records if "schema" in line}
    assert {schemas[t] for t in topics if t in schemas} >= {
        "era.events.Adjustment",
        "era.events.ClassifiedAdjustment",
        "era.events.DeadLetter",
    }

    # The same records again in the Confluent framing (registry ids), in a committed
    # transaction, and more in an aborted one the Java consumer must not see.
    confluent = TopicNames(f"c{uuid.uuid4().hex[:10]}")
    config = admin_config(kafka_settings)
    ensure_topics(config, confluent.all(), partitions=4, replication_factor=1)
    try:
        registry = SchemaRegistryClient.new_client({"url": f"mock://{confluent.prefix}"})
        codecs = Codecs(registry, topics=confluent)
        _republish(kafka_settings, topic_names, confluent, python, codecs)
        ids = tmp_path / "registry-ids"
        ids.mkdir()
        for subject in registry.get_subjects():
            latest = registry.get_latest_version(subject)
            (ids / f"{latest.schema_id}.avsc").write_text(latest.schema.schema_str, "utf-8")
        written = {topic.replace(topic_names.prefix, confluent.prefix, 1) for topic, *_ in python}
        assert sorted(registry.get_subjects()) == sorted(f"{t}-value" for t in written)
        topics_c = event_topics(confluent)
        java_c = read_topics(
            kafka_settings.bootstrap_servers,
            topics_c,
            schemas=schemas_dir(),
            schema_ids=ids,
            group=f"j{uuid.uuid4().hex}",
        )
        python_c = _python_view(kafka_settings, confluent, codecs)
        assert _aborted_records(kafka_settings, topics_c, codecs, confluent) > 0  # they are there
        assert not any(v is not None and v.get("file") == "aborted" for _, v in python_c.values())
        _compare(java_c, python_c, topics_c, "confluent")
        avro = sum(value is not None for _, value in python.values())
        assert sum(java_c.counts.values()) == avro == len(python) - 1  # all but the raw one
    finally:
        delete_topics(config, confluent.all())


def _republish(
    kafka: KafkaSettings,
    source: TopicNames,
    target: TopicNames,
    python: dict[Any, Any],
    codecs: Codecs,
) -> None:
    producer = Producer(producer_config(kafka, transactional_id=f"interop-{uuid.uuid4().hex}"))
    producer.init_transactions(30)
    producer.begin_transaction()
    for (topic, _, _), (record, value) in sorted(python.items()):
        if value is None:
            continue
        out = topic.replace(source.prefix, target.prefix, 1)
        producer.produce(
            out, codecs.for_schema(target.schema_for(out)).encode(value, out), record.key
        )
    producer.commit_transaction(30)
    producer.begin_transaction()
    for (topic, _, _), (_record, value) in sorted(python.items())[:20]:
        if value is None or "file" not in value:
            continue
        out = topic.replace(source.prefix, target.prefix, 1)
        aborted = {**value, "file": "aborted"}
        producer.produce(out, codecs.for_schema(target.schema_for(out)).encode(aborted, out), b"x")
    producer.flush(30)
    producer.abort_transaction(30)


def _aborted_records(
    kafka: KafkaSettings, topics: list[str], codecs: Codecs, names: TopicNames
) -> int:
    """How many records of the aborted transaction a read_uncommitted consumer sees."""
    consumer = Consumer(
        consumer_config(
            kafka, group_id=f"u{uuid.uuid4().hex}", **{"isolation.level": "read_uncommitted"}
        )
    )
    try:
        consumer.assign(
            [
                TopicPartition(topic, partition, OFFSET_BEGINNING)
                for topic in topics
                for partition in consumer.list_topics(topic, timeout=10).topics[topic].partitions
            ]
        )
        found = 0
        while messages := consumer.consume(500, timeout=3):
            for message in messages:
                if message.error() is None:
                    value = codecs.for_schema(names.schema_for(message.topic())).decode(
                        message.value()
                    )
                    found += value.get("file") == "aborted"
        return found
    finally:
        consumer.close()
