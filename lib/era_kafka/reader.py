"""Reading a topic from start to idle: for `era consume`, tests and benchmarks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    TopicPartition,
)

from era_kafka.clients import consumer_config
from era_kafka.config import KafkaSettings


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """One record as read from Kafka, value still encoded."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    timestamp_ms: int


class TopicReadError(RuntimeError):
    """The topic could not be read (missing topic, broker error)."""


def read_topic(
    kafka: KafkaSettings,
    topic: str,
    *,
    from_beginning: bool = True,
    idle_timeout: float = 5.0,
    max_records: int | None = None,
    group_id: str | None = None,
    batch_size: int = 500,
) -> Iterator[ConsumedRecord]:
    """Yield the committed records of ``topic`` (read_committed) until none arrives for
    ``idle_timeout`` seconds, or ``max_records`` were read.

    Partitions are assigned directly (no group rebalance to wait for) and no offset is
    committed; ``group_id`` only names the client on the broker.
    """
    config = consumer_config(
        kafka,
        group_id=group_id or f"era-reader-{uuid.uuid4().hex[:12]}",
        **{"auto.offset.reset": "earliest" if from_beginning else "latest"},
    )
    consumer = Consumer(config)
    metadata = consumer.list_topics(topic, timeout=10)
    described = metadata.topics.get(topic)
    if described is None or described.error is not None:
        consumer.close()
        reason = described.error if described is not None else "not found"
        raise TopicReadError(f"cannot read topic {topic}: {reason}")
    start = OFFSET_BEGINNING if from_beginning else OFFSET_END
    consumer.assign([TopicPartition(topic, p, start) for p in described.partitions])
    read = 0
    deadline = time.monotonic() + idle_timeout
    try:
        while time.monotonic() < deadline:
            messages = consumer.consume(batch_size, timeout=min(0.5, idle_timeout))
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        continue
                    raise TopicReadError(f"error reading {topic}: {error}")
                deadline = time.monotonic() + idle_timeout
                yield _record(message)
                read += 1
                if max_records is not None and read >= max_records:
                    return
    finally:
        consumer.close()


def _record(message: Any) -> ConsumedRecord:
    return ConsumedRecord(
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        key=message.key(),
        value=message.value(),
        headers=list(message.headers() or []),
        timestamp_ms=message.timestamp()[1],
    )


def end_offsets(kafka: KafkaSettings, topic: str, *, committed: bool = True) -> dict[int, int]:
    """Partition → end offset of ``topic``: the last stable offset (what read_committed readers
    can reach) when ``committed``, else the high watermark (open transactions included)."""
    isolation = "read_committed" if committed else "read_uncommitted"
    consumer = Consumer(
        consumer_config(
            kafka,
            group_id=f"era-offsets-{uuid.uuid4().hex[:12]}",
            **{"isolation.level": isolation},
        )
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        result = {}
        for partition in metadata.topics[topic].partitions:
            for attempt in range(20):
                try:
                    _, high = consumer.get_watermark_offsets(
                        TopicPartition(topic, partition), timeout=10
                    )
                    break
                except KafkaException:  # leader not known yet right after creation
                    if attempt == 19:
                        raise
                    time.sleep(0.25)
            result[partition] = high
        return result
    finally:
        consumer.close()


def read_to_end(kafka: KafkaSettings, topic: str, *, timeout: float = 30.0) -> list[ConsumedRecord]:
    """Every committed record of ``topic`` up to its current end (read_committed)."""
    config = consumer_config(
        kafka,
        group_id=f"era-reader-{uuid.uuid4().hex[:12]}",
        **{"enable.partition.eof": True},
    )
    consumer = Consumer(config)
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            raise TopicReadError(f"cannot read topic {topic}: not found")
        pending = set(described.partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in pending])
        records: list[ConsumedRecord] = []
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise TopicReadError(f"{topic} not read to its end within {timeout:.0f}s")
            for message in consumer.consume(500, timeout=0.5):
                error = message.error()
                if error is None:
                    records.append(_record(message))
                elif error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(message.partition())
                else:
                    raise TopicReadError(f"error reading {topic}: {error}")
        return records
    finally:
        consumer.close()
