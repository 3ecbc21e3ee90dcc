"""How far a consumer group has come: a watermark for a stage that waits for other partitions.

A stage whose records meet across partitions (the classifier's PLB item and the index entry of
the claim it names, both sent to one partition of a lookup topic by members that read different
source partitions) may hold a record back until it knows that nothing ingested before it can
still arrive. :meth:`GroupProgress.passed` answers that for partition *p* of the loop:

1. **the group has read past the time**: for every partition of the source topic, the group's
   committed offset is at or past the first record stamped after ``timestamp_ms``
   (``offsets_for_times``; the log end when there is none). Offsets commit in the same
   transaction as the outputs (:mod:`era_streams.transactional`), so from then on everything the
   group made from those records is in the extra topics (committed);
2. **this loop has read what that made**: its own position on partition *p* of every extra
   topic is at or past the log end that partition had once (1) held (snapshotted then).

The queries run on a consumer of their own (``read_uncommitted``, never subscribed; the group id
is only used to read the group's committed offsets), so an open transaction holding records that
were written before the time counts as not read yet. A query that fails answers "not yet" and
the next ones wait a few seconds (the caller has a bound of its own).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from confluent_kafka import Consumer, KafkaException, TopicPartition

from era_streams.stage import Output

log = logging.getLogger("era.worker")

QUERY_TIMEOUT_SECONDS = 2.0
RETRY_AFTER_FAILURE_SECONDS = 5.0
COMMITTED_MAX_AGE_SECONDS = 0.5
_CACHE_LIMIT = 4096
K = TypeVar("K")


class Progress(Protocol):
    """What a punctuating stage may ask about the group's progress."""

    def passed(self, partition: int, timestamp_ms: int) -> bool:
        """Whether everything ingested up to ``timestamp_ms`` was processed by the group and
        what it sent to partition ``partition`` of the extra topics was read by this loop."""
        ...


Punctuator = Callable[[int, Progress], Sequence[Output]]
"""``(partition, progress) → outputs``: called by the loop about once a second for each
assigned partition, the store focused on it; its outputs (each with its own key) and store
writes go into a transaction like a record's."""


class NoProgress:
    """A :class:`Progress` that never passes (tests, loops without a Kafka group)."""

    def passed(self, partition: int, timestamp_ms: int) -> bool:
        """Never."""
        return False


class GroupProgress:
    """:class:`Progress` of a loop's consumer group on a real cluster (see the module text).

    ``query_factory`` makes the query consumer (same ``group.id`` as the loop,
    ``isolation.level=read_uncommitted``), on first use; :meth:`bind` gives the loop's own
    consumer, whose positions on the extra topics are read (locally, no round trip).
    """

    def __init__(
        self,
        query_factory: Callable[[], Consumer],
        source_topic: str,
        extra_topics: Sequence[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory = query_factory
        self.source_topic = source_topic
        self.extra_topics = list(extra_topics)
        self._clock = clock
        self._query: Consumer | None = None
        self._loop: Consumer | None = None
        self._partitions: list[int] = []
        self._targets: dict[int, list[int]] = {}
        self._marks: dict[tuple[int, int], list[int]] = {}
        self._committed: list[int] = []
        self._committed_at = float("-inf")
        self._quiet_until = float("-inf")

    def bind(self, consumer: Consumer) -> None:
        """The loop's consumer (its positions on the extra topics)."""
        self._loop = consumer

    def close(self) -> None:
        """Close the query consumer."""
        if self._query is not None:
            self._query.close()
            self._query = None

    def passed(self, partition: int, timestamp_ms: int) -> bool:
        """See :class:`Progress`; ``False`` while a query fails."""
        if self._loop is None or self._clock() < self._quiet_until:
            return False
        try:
            return self._passed(partition, timestamp_ms)
        except (KafkaException, RuntimeError, ValueError) as exc:
            log.warning("group progress: query failed, retried later: %s", type(exc).__name__)
            self._quiet_until = self._clock() + RETRY_AFTER_FAILURE_SECONDS
            return False

    def _passed(self, partition: int, timestamp_ms: int) -> bool:
        query = self._query_consumer()
        targets = self._targets.get(timestamp_ms)
        if targets is None:
            targets = self._targets_at(query, timestamp_ms)
        committed = self._group_committed(query)
        if any(done < target for done, target in zip(committed, targets, strict=True)):
            return False
        marks = self._marks.get((timestamp_ms, partition))
        if marks is None:
            marks = [self._end(query, topic, partition) for topic in self.extra_topics]
            self._remember(self._marks, (timestamp_ms, partition), marks)
        assert self._loop is not None
        positions = self._loop.position(
            [TopicPartition(topic, partition) for topic in self.extra_topics]
        )
        # an unknown position (nothing fetched yet) reads as 0: passed only when nothing was there
        return all(max(tp.offset, 0) >= mark for tp, mark in zip(positions, marks, strict=True))

    def _query_consumer(self) -> Consumer:
        if self._query is None:
            self._query = self._factory()
        if not self._partitions:
            topic = self._query.list_topics(self.source_topic, timeout=QUERY_TIMEOUT_SECONDS)
            described = topic.topics.get(self.source_topic)
            if described is None or not described.partitions:
                raise RuntimeError(f"no partitions of {self.source_topic}")
            self._partitions = sorted(described.partitions)
        return self._query

    def _targets_at(self, query: Consumer, timestamp_ms: int) -> list[int]:
        """Per source partition, the first offset stamped after ``timestamp_ms`` (the log end
        when there is none)."""
        found = query.offsets_for_times(
            [TopicPartition(self.source_topic, p, timestamp_ms + 1) for p in self._partitions],
            timeout=QUERY_TIMEOUT_SECONDS,
        )
        targets = []
        for tp in sorted(found, key=lambda tp: tp.partition):
            if tp.error is not None:
                raise KafkaException(tp.error)
            offset = tp.offset
            targets.append(offset if offset >= 0 else self._end(query, tp.topic, tp.partition))
        self._remember(self._targets, timestamp_ms, targets)
        return targets

    def _end(self, query: Consumer, topic: str, partition: int) -> int:
        _, high = query.get_watermark_offsets(
            TopicPartition(topic, partition), timeout=QUERY_TIMEOUT_SECONDS, cached=False
        )
        return int(high)

    def _group_committed(self, query: Consumer) -> list[int]:
        now = self._clock()
        if now - self._committed_at > COMMITTED_MAX_AGE_SECONDS:
            committed = query.committed(
                [TopicPartition(self.source_topic, p) for p in self._partitions],
                timeout=QUERY_TIMEOUT_SECONDS,
            )
            self._committed = [
                max(tp.offset, 0) for tp in sorted(committed, key=lambda tp: tp.partition)
            ]
            self._committed_at = now
        return self._committed

    @staticmethod
    def _remember(cache: dict[K, list[int]], key: K, value: list[int]) -> None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = value
