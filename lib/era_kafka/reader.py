"""Reading a topic from start to idle: for `era consume`, tests and benchmarks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, TopicPartition

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


def end_offsets(kafka: KafkaSettings, topic: str) -> dict[int, int]:
    """Partition → high watermark of ``topic``."""
    consumer = Consumer(consumer_config(kafka, group_id=f"era-offsets-{uuid.uuid4().hex[:12]}"))
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        result = {}
        for partition in metadata.topics[topic].partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            result[partition] = high
        return result
    finally:
        consumer.close()
