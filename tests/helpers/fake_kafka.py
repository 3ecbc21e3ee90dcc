"""An in-memory Kafka for the transactional loop's contract tests: partitioned logs with
transactional visibility (read_committed), consumer-group offsets committed inside producer
transactions, producer fencing by transactional.id and group generations, and rebalances the
test triggers (revoke, lose). Only the client methods the loop calls exist."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

OFFSET_INVALID = -1001


@dataclass(slots=True)
class _Record:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, Any]] | None
    state: str  # "open", "committed", "aborted"


@dataclass(slots=True)
class FakeMessage:
    """What ``Consumer.consume`` returns, for one record."""

    _topic: str
    _partition: int
    _offset: int
    _key: bytes | None
    _value: bytes | None
    _headers: list[tuple[str, Any]] | None = None

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> list[tuple[str, Any]] | None:
        return self._headers


@dataclass(slots=True)
class GroupMetadata:
    group: str
    generation: int


class FakeBroker:
    """Topics, their partition logs and the committed offsets of consumer groups."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.logs: dict[tuple[str, int], list[_Record]] = {}
        self.partitions: dict[str, int] = {}
        self.offsets: dict[tuple[str, str, int], int] = {}
        self.epochs: dict[str, int] = {}
        self.generations: dict[str, int] = {}

    def create_topic(self, topic: str, partitions: int) -> None:
        with self.lock:
            self.partitions[topic] = partitions
            for p in range(partitions):
                self.logs[(topic, p)] = []

    def append(self, topic: str, partition: int, record: _Record) -> None:
        with self.lock:
            self.logs[(topic, partition)].append(record)

    def publish(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        """A committed record from outside (the test's input)."""
        self.append(topic, self.partition_for(topic, key), _Record(key, value, None, "committed"))

    def partition_for(self, topic: str, key: bytes | None) -> int:
        return (sum(key) if key else 0) % self.partitions[topic]

    def committed_values(
        self, topic: str
    ) -> list[tuple[bytes | None, bytes | None, dict[str, Any]]]:
        """(key, value, headers) of every committed record of ``topic``, partition by partition."""
        with self.lock:
            return [
                (r.key, r.value, dict(r.headers or []))
                for p in range(self.partitions[topic])
                for r in self.logs[(topic, p)]
                if r.state == "committed"
            ]

    def committed_partition(self, topic: str, partition: int) -> list[tuple[bytes, bytes | None]]:
        """(key, value) of the committed records of one partition, in log order (what a
        read_committed reader of a changelog partition gets)."""
        with self.lock:
            return [
                (r.key, r.value)
                for r in self.logs[(topic, partition)]
                if r.state == "committed" and r.key is not None
            ]

    def group_offsets(self, group: str, topic: str) -> dict[int, int]:
        with self.lock:
            return {
                p: self.offsets[(group, topic, p)]
                for p in range(self.partitions[topic])
                if (group, topic, p) in self.offsets
            }

    def producer(self, transactional_id: str) -> FakeProducer:
        return FakeProducer(self, transactional_id)

    def consumer(self, group: str) -> FakeConsumer:
        return FakeConsumer(self, group)


def _error(reason: str, *, fatal: bool = False, abortable: bool = False) -> KafkaException:
    code = KafkaError._FENCED if fatal else KafkaError._STATE
    return KafkaException(KafkaError(code, reason, fatal=fatal, txn_requires_abort=abortable))


class FakeProducer:
    """A transactional producer: records are invisible until their transaction commits; a newer
    producer with the same transactional.id fences this one (its next call fails fatally)."""

    def __init__(self, broker: FakeBroker, transactional_id: str) -> None:
        self.broker = broker
        self.transactional_id = transactional_id
        self.epoch = -1
        self.open: list[_Record] | None = None
        self.offsets: list[tuple[str, TopicPartition]] = []

    def _check_fenced(self) -> None:
        if self.broker.epochs.get(self.transactional_id) != self.epoch:
            raise _error("producer fenced by a newer instance", fatal=True)

    def init_transactions(self, timeout: float = -1) -> None:
        with self.broker.lock:
            self.epoch = self.broker.epochs.get(self.transactional_id, -1) + 1
            self.broker.epochs[self.transactional_id] = self.epoch

    def begin_transaction(self) -> None:
        self._check_fenced()
        assert self.open is None, "begin_transaction with a transaction open"
        self.open, self.offsets = [], []

    def produce(
        self, topic: str, value: bytes | None = None, key: bytes | None = None, **kwargs: Any
    ) -> None:
        self._check_fenced()
        assert self.open is not None, "produce outside a transaction"
        record = _Record(key, value, kwargs.get("headers"), "open")
        partition = kwargs.get("partition", -1)
        if partition < 0:
            partition = self.broker.partition_for(topic, key)
        self.broker.append(topic, partition, record)
        self.open.append(record)

    def poll(self, timeout: float = 0) -> int:
        return 0

    def flush(self, timeout: float = -1) -> int:
        return 0

    def send_offsets_to_transaction(
        self, positions: list[TopicPartition], metadata: GroupMetadata, timeout: float = -1
    ) -> None:
        self._check_fenced()
        assert self.open is not None, "send_offsets_to_transaction outside a transaction"
        if self.broker.generations.get(metadata.group, 0) != metadata.generation:
            raise _error("the group generation is stale", abortable=True)
        self.offsets.extend((metadata.group, tp) for tp in positions)

    def commit_transaction(self, timeout: float = -1) -> None:
        self._check_fenced()
        assert self.open is not None, "commit_transaction outside a transaction"
        with self.broker.lock:
            for record in self.open:
                record.state = "committed"
            for group, tp in self.offsets:
                self.broker.offsets[(group, tp.topic, tp.partition)] = tp.offset
        self.open, self.offsets = None, []

    def abort_transaction(self, timeout: float = -1) -> None:
        with self.broker.lock:
            for record in self.open or []:
                record.state = "aborted"
        self.open, self.offsets = None, []


class FakeConsumer:
    """A read_committed group member. It is assigned every partition of its topic on the first
    consume; :meth:`revoke` and :meth:`lose` schedule a rebalance served in the next consume,
    as librdkafka serves rebalance callbacks inside poll/consume."""

    def __init__(self, broker: FakeBroker, group: str) -> None:
        self.broker = broker
        self.group = group
        self.topic: str | None = None
        self.callbacks: dict[str, Callable[..., None]] = {}
        self.positions: dict[int, int] = {}
        self.pending: list[str] = []
        self.assigned_once = False
        self.closed = False

    def subscribe(self, topics: list[str], **callbacks: Callable[..., None]) -> None:
        (self.topic,) = topics
        self.callbacks = callbacks

    def revoke(self) -> None:
        """Take the partitions away in an orderly rebalance (on_revoke) at the next consume."""
        self.pending.append("revoke")

    def lose(self) -> None:
        """Lose the partitions (session timeout: on_lost, a new group generation)."""
        self.pending.append("lose")

    def _tps(self) -> list[TopicPartition]:
        assert self.topic is not None
        return [TopicPartition(self.topic, p, self.positions[p]) for p in sorted(self.positions)]

    def _rebalance(self) -> None:
        broker, topic = self.broker, self.topic
        assert topic is not None
        if not self.assigned_once:
            self.assigned_once = True
            committed = broker.group_offsets(self.group, topic)
            self.positions = {p: committed.get(p, 0) for p in range(broker.partitions[topic])}
            self.callbacks["on_assign"](self, self._tps())
        while self.pending:
            event = self.pending.pop(0)
            partitions = self._tps()
            if event == "lose":
                with broker.lock:
                    broker.generations[self.group] = broker.generations.get(self.group, 0) + 1
                self.callbacks["on_lost"](self, partitions)
            else:
                self.callbacks["on_revoke"](self, partitions)
            self.positions = {}

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[FakeMessage]:
        self._rebalance()
        broker, topic = self.broker, self.topic
        assert topic is not None
        found: list[FakeMessage] = []
        with broker.lock:
            for p, position in sorted(self.positions.items()):
                log = broker.logs[(topic, p)]
                offset = position
                while offset < len(log) and len(found) < num_messages:
                    record = log[offset]
                    if record.state == "open":
                        break  # the last stable offset: read_committed stops here
                    if record.state == "committed":
                        found.append(
                            FakeMessage(topic, p, offset, record.key, record.value, record.headers)
                        )
                    offset += 1
                self.positions[p] = offset
        if not found and timeout > 0:
            time.sleep(min(timeout, 0.01))
        return found

    def assignment(self) -> list[TopicPartition]:
        return self._tps()

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [
            TopicPartition(tp.topic, tp.partition, self.positions.get(tp.partition, OFFSET_INVALID))
            for tp in partitions
        ]

    def committed(
        self, partitions: list[TopicPartition], timeout: float = -1
    ) -> list[TopicPartition]:
        offsets = self.broker.group_offsets(self.group, self.topic or "")
        return [
            TopicPartition(tp.topic, tp.partition, offsets.get(tp.partition, OFFSET_INVALID))
            for tp in partitions
        ]

    def seek(self, tp: TopicPartition) -> None:
        self.positions[tp.partition] = tp.offset

    def consumer_group_metadata(self) -> GroupMetadata:
        return GroupMetadata(self.group, self.broker.generations.get(self.group, 0))

    def get_watermark_offsets(self, tp: TopicPartition, **kwargs: Any) -> tuple[int, int]:
        return 0, len(self.broker.logs[(tp.topic, tp.partition)])

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> SimpleNamespace:
        """Metadata as confluent-kafka's: ``.topics[name].partitions`` and ``.error``."""
        known = self.broker.partitions
        names = [topic] if topic is not None else list(known)
        return SimpleNamespace(
            topics={
                name: SimpleNamespace(partitions=dict.fromkeys(range(known[name])), error=None)
                for name in names
                if name in known
            }
        )

    def close(self) -> None:
        self.closed = True
