"""The transactional loop's contract, one suite run twice: on the in-memory Kafka of
``fake_kafka`` (fast, every interleaving under control) and on the real broker.

Each case drives the loop through its client factories: the probes below wrap whatever client
the factory makes (fake or real) to fail a commit, or to serve a revoke or a lost assignment
inside ``consume`` the way librdkafka serves rebalance callbacks.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from era_contract.codec import AvroCodec
from era_contract.vocabulary import DEAD_LETTER
from era_kafka.admin import delete_topics, ensure_topics
from era_kafka.clients import admin_config, consumer_config, producer_config
from era_kafka.config import KafkaSettings
from era_kafka.reader import read_topic
from era_streams.transactional import TransactionalLoop
from era_testing import wait_for
from fake_kafka import FakeBroker

PARTITIONS = 2


@dataclass
class Upper:
    """The stage: upper-cases a value to ``out``; ``bad`` values raise (they are dead-lettered).
    ``then`` runs after the ``at``-th record (inside its transaction)."""

    out: str
    at: int = 0
    then: Callable[[], None] = lambda: None
    seen: int = 0

    def __call__(self, key: bytes | None, value: bytes | None) -> list[tuple[str, bytes]]:
        assert value is not None
        self.seen += 1
        if self.seen == self.at:
            self.then()
        if value.startswith(b"bad"):
            raise ValueError("bad record")
        return [(self.out, value.upper())]


@dataclass
class Env:
    """One Kafka (fake or real) with a source, an output and a dead-letter topic."""

    kind: str
    source: str
    out: str
    dead: str
    group: str
    publish: Callable[[bytes, bytes], None]
    consumer: Callable[[], Any]
    producer: Callable[[str], Any]
    read: Callable[[str], list[tuple[bytes | None, bytes | None, dict[str, Any]]]]
    committed: Callable[[], int]


@pytest.fixture(
    params=[
        pytest.param("fake", marks=pytest.mark.unit),
        pytest.param("kafka", marks=pytest.mark.integration),
    ]
)
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    suffix = uuid.uuid4().hex[:8]
    source, out, dead, group = f"in-{suffix}", f"out-{suffix}", f"dlt-{suffix}", f"g-{suffix}"
    if request.param == "fake":
        broker = FakeBroker()
        for topic in (source, out, dead):
            broker.create_topic(topic, PARTITIONS)

        def fake_committed() -> int:
            return sum(broker.group_offsets(group, source).values())

        yield Env(
            "fake",
            source,
            out,
            dead,
            group,
            lambda key, value: broker.publish(source, key, value),
            lambda: broker.consumer(group),
            broker.producer,
            broker.committed_values,
            fake_committed,
        )
        return
    kafka: KafkaSettings = request.getfixturevalue("kafka_settings")
    admin = admin_config(kafka)
    ensure_topics(admin, [source, out, dead], partitions=PARTITIONS, replication_factor=1)
    plain = Producer(producer_config(kafka))

    def publish(key: bytes, value: bytes) -> None:
        plain.produce(source, value, key)
        plain.flush(10)

    def read(topic: str) -> list[tuple[bytes | None, bytes | None, dict[str, Any]]]:
        return [
            (r.key, r.value, dict(r.headers)) for r in read_topic(kafka, topic, idle_timeout=1.0)
        ]

    def committed() -> int:
        probe = Consumer(consumer_config(kafka, group_id=group))
        try:
            tps = [TopicPartition(source, p) for p in range(PARTITIONS)]
            return sum(max(tp.offset, 0) for tp in probe.committed(tps, timeout=10))
        finally:
            probe.close()

    def consumer() -> Consumer:
        return Consumer(
            consumer_config(
                kafka, group_id=group, **{"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}
            )
        )

    def producer(transactional_id: str) -> Producer:
        return Producer(
            producer_config(
                kafka, transactional_id=transactional_id, **{"transaction.timeout.ms": 10000}
            )
        )

    yield Env("kafka", source, out, dead, group, publish, consumer, producer, read, committed)
    delete_topics(admin, [source, out, dead])


class Probe:
    """Wraps a consumer: ``revoke()``/``lose()`` make the next ``consume`` serve on_revoke or
    on_lost first (after a lost assignment the partitions come back from the committed offsets,
    as a new assignment does)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.callbacks: dict[str, Callable[..., None]] = {}
        self.pending: list[str] = []
        self.committed_after_revoke: int | None = None
        self.committed_offsets: Callable[[], int] = lambda: 0

    def subscribe(self, topics: list[str], **callbacks: Callable[..., None]) -> None:
        self.callbacks = callbacks
        self.inner.subscribe(topics, **callbacks)

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Any]:
        while self.pending:
            event = self.pending.pop(0)
            partitions = self.inner.assignment()
            if event == "revoke":
                self.callbacks["on_revoke"](self, partitions)
                self.committed_after_revoke = self.committed_offsets()
            else:
                self.callbacks["on_lost"](self, partitions)
                for tp in self.inner.committed(partitions, timeout=10):
                    self.inner.seek(TopicPartition(tp.topic, tp.partition, max(tp.offset, 0)))
                self.callbacks["on_assign"](self, partitions)
        return list(self.inner.consume(num_messages, timeout=timeout))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class FailingCommits:
    """Wraps a producer: the first ``failures`` commits fail as an abortable error would."""

    inner: Any
    failures: int = 1
    failed: int = 0

    def commit_transaction(self, timeout: float = -1) -> None:
        if self.failed < self.failures:
            self.failed += 1
            error = KafkaError(KafkaError._STATE, "injected", txn_requires_abort=True)
            raise KafkaException(error)
        self.inner.commit_transaction(timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Running:
    loop: TransactionalLoop
    thread: threading.Thread
    errors: list[BaseException] = field(default_factory=list)

    def stop(self) -> None:
        self.loop.stop()
        self.thread.join(60)
        assert not self.thread.is_alive(), "the loop did not stop"


def start(
    env: Env,
    *,
    consumer: Any = None,
    producer: Any = None,
    stage: Upper | None = None,
    **options: Any,
) -> Running:
    made_consumer = consumer if consumer is not None else env.consumer()
    made_producer = producer if producer is not None else env.producer(f"{env.group}-a")
    loop = TransactionalLoop(
        name="contract",
        consumer_factory=lambda: made_consumer,
        producer_factory=lambda: made_producer,
        source_topic=env.source,
        dead_letter_topic=env.dead,
        stage=stage or Upper(env.out),
        **{"commit_interval": 60.0, **options},
    )
    running = Running(loop, threading.Thread(target=lambda: None))

    def run() -> None:
        try:
            loop.run()
        except BaseException as exc:
            running.errors.append(exc)

    running.thread = threading.Thread(target=run, daemon=True)
    running.thread.start()
    return running


def publish(env: Env, count: int, start_at: int = 0, *, bad: tuple[int, ...] = ()) -> set[bytes]:
    values = set()
    for i in range(start_at, start_at + count):
        value = (b"bad-%d" if i in bad else b"v-%d") % i
        env.publish(b"k-%d" % i, value)
        values.add(value)
    return values


def outputs(env: Env) -> Counter[bytes]:
    return Counter(value for _, value, _ in env.read(env.out) if value is not None)


def test_commits_as_soon_as_it_has_caught_up(env: Env) -> None:
    values = publish(env, 20)
    running = start(env)  # commit_interval 60 s: only catching up can commit in time
    try:
        wait_for(lambda: len(outputs(env)) == 20, 60, "every output visible")
        assert outputs(env) == Counter(v.upper() for v in values)
        wait_for(lambda: env.committed() == 20, 30, "the offsets committed with them")
    finally:
        running.stop()
    assert not running.errors


def test_a_failed_commit_is_aborted_and_the_records_processed_again(env: Env) -> None:
    values = publish(env, 20)
    producer = FailingCommits(env.producer(f"{env.group}-a"))
    running = start(env, producer=producer)
    try:
        wait_for(lambda: len(outputs(env)) >= 20, 60, "the outputs after the retry")
    finally:
        running.stop()
    assert producer.failed == 1
    assert outputs(env) == Counter(v.upper() for v in values), "each output exactly once"
    assert env.committed() == 20
    assert not running.errors


def test_a_revoke_commits_the_open_transaction_first(env: Env) -> None:
    probe = Probe(env.consumer())
    probe.committed_offsets = env.committed
    # the 10th record asks for a revoke while its transaction is open; it is served in the
    # next consume, before the loop could see it has caught up
    stage = Upper(env.out, at=10, then=lambda: probe.pending.append("revoke"))
    values = publish(env, 10)
    running = start(env, consumer=probe, stage=stage, batch_size=500)
    try:
        wait_for(lambda: probe.committed_after_revoke is not None, 60, "the revoke served")
    finally:
        running.stop()
    assert probe.committed_after_revoke == 10, "offsets committed before the revoke returned"
    assert outputs(env) == Counter(v.upper() for v in values)
    assert not running.errors


def test_a_lost_assignment_aborts_and_produces_nothing_of_it(env: Env) -> None:
    probe = Probe(env.consumer())
    # the 5th record loses the assignment (served at the next consume, transaction open): the
    # open transaction is aborted, and the records come back from the committed offsets
    stage = Upper(env.out, at=5, then=lambda: probe.pending.append("lose"))
    values = publish(env, 10)
    running = start(env, consumer=probe, stage=stage, batch_size=3)
    try:
        wait_for(lambda: len(outputs(env)) >= 10 and env.committed() == 10, 60, "all outputs")
    finally:
        running.stop()
    assert stage.seen > 10, "records of the lost transaction were processed again"
    assert outputs(env) == Counter(v.upper() for v in values), "nothing doubled, nothing lost"
    assert not running.errors


def test_a_fenced_producer_stops_the_loop_and_produces_nothing_more(env: Env) -> None:
    first = publish(env, 5)
    running = start(env)
    try:
        wait_for(lambda: len(outputs(env)) == 5, 60, "the first outputs")
        env.producer(f"{env.group}-a").init_transactions(30)  # a newer instance: fences ours
        publish(env, 5, start_at=5)
        running.thread.join(60)
    finally:
        running.stop()
    assert running.errors, "the fenced loop must stop with an error"
    assert outputs(env) == Counter(v.upper() for v in first), "nothing after the fencing"


def test_a_dead_letter_commits_with_its_transaction(env: Env) -> None:
    publish(env, 6, bad=(2,))
    producer = FailingCommits(env.producer(f"{env.group}-a"))
    running = start(env, producer=producer)
    try:
        wait_for(lambda: len(outputs(env)) == 5 and env.committed() == 6, 60, "outputs")
    finally:
        running.stop()
    dead = env.read(env.dead)
    assert len(dead) == 1, "the aborted transaction's dead letter is not visible, the retry's is"
    key, value, headers = dead[0]
    letter = AvroCodec(DEAD_LETTER).decode(value)
    assert (key, letter["source_key"], letter["payload"]) == (b"k-2", b"k-2", b"bad-2")
    assert (letter["source_topic"], letter["reason"]) == (env.source, "processing_error")
    assert headers["era.dlt.exception.class"] == b"ValueError"
    assert headers["era.dlt.source.topic"] == env.source.encode()
