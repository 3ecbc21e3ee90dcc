"""A stage's state in Kafka: the compacted changelog topic behind a
:class:`~era_streams.state.TransactionalStore`.

The changelog has as many partitions as the loop's source topic, and changelog partition *p*
holds the state of source partition *p* (co-partitioned, like Kafka Streams' changelogs). The
:class:`~era_streams.transactional.TransactionalLoop`:

* produces the open transaction's writes (the last value per key; ``None`` as a tombstone) to
  their changelog partitions right before it sends the offsets and commits, **in the same
  transaction** (:meth:`StateBinding.flush`);
* restores every partition it is assigned, before it processes a record of it, by reading the
  changelog partition from the start to its end, ``read_committed`` (:meth:`StateBinding.restore`);
  records of aborted transactions are skipped by the reader, so a write is never applied twice
  and never half;
* forgets a partition's state when the partition is revoked or lost.

The reader is a factory like the loop's clients: :func:`kafka_changelog_reader` for a real
cluster, an in-memory one in the contract tests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from era_streams.state import TransactionalStore

log = logging.getLogger("era.worker")

ChangelogReader = Callable[[str, int], Iterable[tuple[bytes, bytes | None]]]
"""``(topic, partition) → (key, value)`` of every committed record, from the start to the end."""
RESTORE_TIMEOUT_SECONDS = 120.0


def kafka_changelog_reader(consumer_config: dict[str, Any]) -> ChangelogReader:
    """A reader with its own consumer per read (``read_committed``, assigned, never
    committing); ``consumer_config`` needs bootstrap servers, security and a ``group.id``."""

    def read(topic: str, partition: int) -> list[tuple[bytes, bytes | None]]:
        config = {
            **consumer_config,
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
        }
        consumer = Consumer(config)
        try:
            return _read_to_end(consumer, topic, partition)
        finally:
            consumer.close()

    return read


def _read_to_end(
    consumer: Consumer, topic: str, partition: int
) -> list[tuple[bytes, bytes | None]]:
    tp = TopicPartition(topic, partition, OFFSET_BEGINNING)
    low, high = consumer.get_watermark_offsets(tp, timeout=10)
    if high <= low:
        return []
    consumer.assign([tp])
    records: list[tuple[bytes, bytes | None]] = []
    deadline = time.monotonic() + RESTORE_TIMEOUT_SECONDS
    while True:
        for message in consumer.consume(1000, timeout=0.05):
            error = message.error()
            if error is None:
                key = message.key()
                if key is not None:
                    records.append((key, message.value()))
                continue
            if error.code() == KafkaError._PARTITION_EOF:
                return records  # the last stable offset: everything committed is read
            raise KafkaException(error)
        (position,) = consumer.position([tp])
        if position.offset >= high:
            return records
        if time.monotonic() > deadline:
            raise TimeoutError(f"restoring {topic}[{partition}]: not at {high} after the timeout")


@dataclass(slots=True)
class StateBinding:
    """A stage's :class:`TransactionalStore` with its changelog topic and reader."""

    store: TransactionalStore
    topic: str
    reader: ChangelogReader

    def restore(self, partitions: Iterable[int]) -> None:
        """Replace the state of ``partitions`` by what their changelog partitions hold."""
        for partition in sorted(set(partitions)):
            started = time.monotonic()
            keys = self.store.restore(partition, self.reader(self.topic, partition))
            log.info(
                "restored %s[%d]: %d keys in %.2f s",
                self.topic,
                partition,
                keys,
                time.monotonic() - started,
            )

    def flush(self, produce: Callable[[str, bytes | None, bytes, int], None]) -> int:
        """Produce the open transaction's writes with ``produce(topic, value, key, partition)``;
        returns how many."""
        count = 0
        for partition, key, value in self.store.pending():
            produce(self.topic, value, key, partition)
            count += 1
        return count
