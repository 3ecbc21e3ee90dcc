"""The loop's keyed state, one suite run twice (the in-memory Kafka of ``fake_kafka`` and the real
broker): state written in a transaction survives a restart of the worker, and is never applied
twice — not after an aborted commit, a lost assignment or a dead-lettered record; what a
punctuation outputs and writes commits with the transaction, or is done again.

The stage counts the records of each key in its store and outputs ``<key>=<count>``: a count
applied twice would skip a number, a count lost would repeat one; so "every ``k=n`` exactly once"
proves the state moved in step with the outputs and the offsets.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from era_kafka.admin import delete_topics, ensure_topics
from era_kafka.clients import admin_config, consumer_config, producer_config
from era_kafka.config import KafkaSettings
from era_kafka.reader import read_topic
from era_streams.changelog import ChangelogReader, StateBinding, kafka_changelog_reader
from era_streams.state import TransactionalStore
from era_streams.transactional import CopartitionError, TransactionalLoop
from era_testing import wait_for
from fake_kafka import FakeBroker

PARTITIONS = 2
KEYS = 4


@dataclass
class Counting:
    """Counts each key's records in ``store``; ``bad`` values raise after writing (dead
    letters); ``then`` runs after the ``at``-th record."""

    store: TransactionalStore
    out: str
    at: int = 0
    then: Callable[[], None] = lambda: None
    seen: int = 0

    def __call__(self, key: bytes | None, value: bytes | None) -> list[tuple[str, bytes]]:
        assert key is not None and value is not None
        self.seen += 1
        if self.seen == self.at:
            self.then()
        count = int(self.store.get(key) or b"0") + 1
        self.store.put(key, b"%d" % count)
        if value.startswith(b"bad"):
            raise ValueError("bad record")
        return [(self.out, b"%s=%d" % (key, count))]


@dataclass
class Env:
    kind: str
    source: str
    out: str
    dead: str
    changelog: str
    group: str
    publish: Callable[[bytes, bytes], None]
    consumer: Callable[[], Any]
    producer: Callable[[str], Any]
    reader: ChangelogReader
    read: Callable[[str], list[bytes]]
    create: Callable[[str, int], None] = lambda topic, partitions: None


@pytest.fixture(
    params=[
        pytest.param("fake", marks=pytest.mark.unit),
        pytest.param("kafka", marks=pytest.mark.integration),
    ]
)
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    suffix = uuid.uuid4().hex[:8]
    source, out, dead = f"in-{suffix}", f"out-{suffix}", f"dlt-{suffix}"
    changelog, group = f"state-{suffix}", f"g-{suffix}"
    if request.param == "fake":
        broker = FakeBroker()
        for topic in (source, out, dead, changelog):
            broker.create_topic(topic, PARTITIONS)
        yield Env(
            "fake",
            source,
            out,
            dead,
            changelog,
            group,
            lambda key, value: broker.publish(source, key, value),
            lambda: broker.consumer(group),
            broker.producer,
            broker.committed_partition,
            lambda topic: [v for _, v, _ in broker.committed_values(topic) if v is not None],
            broker.create_topic,
        )
        return
    kafka: KafkaSettings = request.getfixturevalue("kafka_settings")
    admin = admin_config(kafka)
    ensure_topics(admin, [source, out, dead], partitions=PARTITIONS, replication_factor=1)
    ensure_topics(
        admin,
        [changelog],
        partitions=PARTITIONS,
        replication_factor=1,
        configs={changelog: {"cleanup.policy": "compact"}},
    )
    plain = Producer(producer_config(kafka))

    def publish(key: bytes, value: bytes) -> None:
        plain.produce(source, value, key)
        plain.flush(10)

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

    def read(topic: str) -> list[bytes]:
        return [r.value for r in read_topic(kafka, topic, idle_timeout=1.0) if r.value]

    reader = kafka_changelog_reader(consumer_config(kafka, group_id=f"{group}-restore"))
    created: list[str] = []

    def create(topic: str, partitions: int) -> None:
        ensure_topics(admin, [topic], partitions=partitions, replication_factor=1)
        created.append(topic)

    yield Env(
        "kafka",
        source,
        out,
        dead,
        changelog,
        group,
        publish,
        consumer,
        producer,
        reader,
        read,
        create,
    )
    delete_topics(admin, [source, out, dead, changelog, *created])


@dataclass
class Running:
    loop: TransactionalLoop
    store: TransactionalStore
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
    stage: Callable[[TransactionalStore], Any] | None = None,
    store: TransactionalStore | None = None,
    **options: Any,
) -> Running:
    store = store if store is not None else TransactionalStore()
    made_consumer = consumer if consumer is not None else env.consumer()
    made_producer = producer if producer is not None else env.producer(f"{env.group}-a")
    loop = TransactionalLoop(
        name="state-contract",
        consumer_factory=lambda: made_consumer,
        producer_factory=lambda: made_producer,
        source_topic=env.source,
        dead_letter_topic=env.dead,
        stage=stage(store) if stage is not None else Counting(store, env.out),
        state=StateBinding(store, env.changelog, env.reader),
        **{"commit_interval": 60.0, **options},
    )
    running = Running(loop, store, threading.Thread(target=lambda: None))

    def run() -> None:
        try:
            loop.run()
        except BaseException as exc:
            running.errors.append(exc)

    running.thread = threading.Thread(target=run, daemon=True)
    running.thread.start()
    return running


def publish(env: Env, per_key: int, *, bad: frozenset[tuple[int, int]] = frozenset()) -> None:
    for n in range(per_key):
        for k in range(KEYS):
            env.publish(b"k%d" % k, b"bad" if (k, n) in bad else b"v")


def expected(per_key: int, skip: frozenset[tuple[int, int]] = frozenset()) -> Counter[bytes]:
    return Counter(
        b"k%d=%d" % (k, n + 1) for k in range(KEYS) for n in range(per_key) if (k, n) not in skip
    )


def outputs(env: Env) -> Counter[bytes]:
    return Counter(env.read(env.out))


def test_state_survives_a_restart_and_counts_on(env: Env) -> None:
    publish(env, 3)
    first = start(env)
    try:
        wait_for(lambda: outputs(env) == expected(3), 60, "the first outputs")
    finally:
        first.stop()
    publish(env, 2)  # the next 2 per key, for a worker that starts with an empty store
    second = start(env, producer=env.producer(f"{env.group}-b"))
    try:
        wait_for(lambda: sum(outputs(env).values()) >= KEYS * 5, 60, "the outputs after restart")
    finally:
        second.stop()
    assert outputs(env) == expected(5), "counted on from the restored state, each once"
    assert not first.errors and not second.errors
    changelog = TransactionalStore()
    for partition in range(PARTITIONS):
        changelog.restore(partition, env.reader(env.changelog, partition))
    restored = dict(changelog.items(0) + changelog.items(1))
    assert restored == {b"k%d" % k: b"5" for k in range(KEYS)}, "the changelog holds the state"


class FailingRestores:
    """Wraps a changelog reader: the first read fails as during a leader change (seen in
    `make chaos-cluster`: ``get_watermark_offsets`` answering NOT_LEADER_FOR_PARTITION)."""

    def __init__(self, inner: ChangelogReader) -> None:
        self.inner, self.failed = inner, 0

    def __call__(self, topic: str, partition: int) -> list[tuple[bytes, bytes | None]]:
        if not self.failed:
            self.failed += 1
            raise KafkaException(KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION, "injected"))
        return self.inner(topic, partition)


def test_a_restore_that_meets_a_leader_change_is_retried(env: Env) -> None:
    publish(env, 3)
    first = start(env)
    try:
        wait_for(lambda: outputs(env) == expected(3), 60, "the first outputs")
    finally:
        first.stop()
    publish(env, 2)
    reader = FailingRestores(env.reader)
    second = start(replace(env, reader=reader), producer=env.producer(f"{env.group}-b"))
    try:
        wait_for(lambda: sum(outputs(env).values()) >= KEYS * 5, 60, "the outputs after restart")
    finally:
        second.stop()
    assert reader.failed == 1
    assert not second.errors, second.errors
    assert outputs(env) == expected(5), "counted on from the state restored on the retry"


class CommitLandsThenFails:
    """A producer whose first commit lands on the broker and then fails fatally, as librdkafka
    reports "Transaction commit succeeded on the broker but the transaction had already failed
    locally"; a second ``init_transactions`` (the loop's renewal) makes a new producer with the
    same transactional.id."""

    def __init__(self, env: Env, transactional_id: str) -> None:
        self.env, self.transactional_id = env, transactional_id
        self.inner = env.producer(transactional_id)
        self.inits = self.failed = 0

    def init_transactions(self, timeout: float = -1) -> None:
        self.inits += 1
        if self.inits > 1:
            self.inner = self.env.producer(self.transactional_id)
        self.inner.init_transactions(timeout)

    def commit_transaction(self, timeout: float = -1) -> None:
        self.inner.commit_transaction(timeout)
        if not self.failed:
            self.failed += 1
            error = KafkaError(KafkaError.INVALID_TXN_STATE, "injected", fatal=True)
            raise KafkaException(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_commit_that_landed_but_failed_locally_keeps_its_state(env: Env) -> None:
    publish(env, 3)
    producer = CommitLandsThenFails(env, f"{env.group}-a")
    running = start(env, producer=producer)
    try:
        wait_for(lambda: producer.inits == 2, 60, "the producer renewed after the commit")
        publish(env, 2)  # counted on from the state of the commit that landed
        wait_for(lambda: sum(outputs(env).values()) >= KEYS * 5, 60, "the later outputs")
    finally:
        running.stop()
    assert producer.failed == 1
    assert not running.errors, running.errors
    assert outputs(env) == expected(5), "the renewed loop restored what the commit wrote"


class FailingCommits:
    """Wraps a producer: the first ``failures`` commits fail as an abortable error would."""

    def __init__(self, inner: Any, failures: int = 1) -> None:
        self.inner, self.failures, self.failed = inner, failures, 0

    def commit_transaction(self, timeout: float = -1) -> None:
        if self.failed < self.failures:
            self.failed += 1
            raise KafkaException(KafkaError(KafkaError._STATE, "injected", txn_requires_abort=True))
        self.inner.commit_transaction(timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_an_aborted_commit_rewinds_the_state_with_the_offsets(env: Env) -> None:
    publish(env, 3)
    producer = FailingCommits(env.producer(f"{env.group}-a"))
    running = start(env, producer=producer)
    try:
        wait_for(lambda: sum(outputs(env).values()) >= KEYS * 3, 60, "the outputs after the retry")
    finally:
        running.stop()
    assert producer.failed == 1
    assert outputs(env) == expected(3), "the replayed records saw the state they first saw"
    assert not running.errors


class Losing:
    """Wraps a consumer: after ``lose()`` the next consume serves on_lost, then the partitions
    come back from the committed offsets with on_assign (state restored from the changelog)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.callbacks, self.pending = inner, {}, 0

    def subscribe(self, topics: list[str], **callbacks: Callable[..., None]) -> None:
        self.callbacks = callbacks
        self.inner.subscribe(topics, **callbacks)

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Any]:
        while self.pending:
            self.pending -= 1
            partitions = self.inner.assignment()
            self.callbacks["on_lost"](self, partitions)
            for tp in self.inner.committed(partitions, timeout=10):
                self.inner.seek(TopicPartition(tp.topic, tp.partition, max(tp.offset, 0)))
            self.callbacks["on_assign"](self, partitions)
        return list(self.inner.consume(num_messages, timeout=timeout))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_lost_assignment_drops_the_open_writes_and_restores(env: Env) -> None:
    probe = Losing(env.consumer())
    publish(env, 4)

    def stage(store: TransactionalStore) -> Counting:
        def lose() -> None:
            probe.pending += 1

        return Counting(store, env.out, at=KEYS * 2 + 1, then=lose)

    running = start(env, consumer=probe, stage=stage, batch_size=3)
    try:
        wait_for(lambda: sum(outputs(env).values()) >= KEYS * 4, 60, "every output")
    finally:
        running.stop()
    assert outputs(env) == expected(4), "nothing of the lost transaction applied"
    assert not running.errors


def test_a_dead_lettered_record_leaves_no_state(env: Env) -> None:
    bad = frozenset({(1, 1)})
    publish(env, 3, bad=bad)
    running = start(env)
    try:
        wait_for(lambda: sum(outputs(env).values()) >= KEYS * 3 - 1, 60, "the outputs")
    finally:
        running.stop()
    # k1's bad record is not counted: the record after it is k1=2, not k1=3
    want = expected(3, skip=bad) - Counter({b"k1=3": 1}) + Counter({b"k1=2": 1})
    assert outputs(env) == want
    assert len(env.read(env.dead)) == 1
    assert not running.errors


def test_a_changelog_with_another_partition_count_stops_the_loop_at_start(env: Env) -> None:
    # a broker that auto-created the changelog (one partition) would split state from records
    odd = f"{env.changelog}-odd"
    env.create(odd, PARTITIONS + 1)
    publish(env, 1)
    store = TransactionalStore()
    loop = TransactionalLoop(
        name="state-contract",
        consumer_factory=env.consumer,
        producer_factory=lambda: env.producer(f"{env.group}-odd"),
        source_topic=env.source,
        dead_letter_topic=env.dead,
        stage=Counting(store, env.out),
        state=StateBinding(store, odd, env.reader),
    )
    with pytest.raises(CopartitionError, match=f"{odd} has {PARTITIONS + 1}"):
        loop.run()
    assert outputs(env) == Counter(), "nothing was processed"


PARKED = b"p|"


@dataclass
class Parking:
    """Parks each record in ``store`` (``p|<key>|<value>``) and outputs nothing."""

    store: TransactionalStore

    def __call__(self, key: bytes | None, value: bytes | None) -> list[tuple[str, bytes]]:
        assert key is not None and value is not None
        self.store.put(PARKED + key + b"|" + value, b"1")
        return []


def releasing(store: TransactionalStore, out: str) -> Callable[[int, Any], list[Any]]:
    """A punctuator: every parked record of the partition goes to ``out`` and leaves the store."""

    def punctuate(partition: int, progress: Any) -> list[Any]:
        released = []
        for key in store.watched_keys(partition, PARKED):
            if store.get(key) is not None:
                store.put(key, None)
                released.append((out, key[len(PARKED) :], key))
        return released

    return punctuate


def test_punctuation_outputs_and_writes_commit_with_the_transaction(env: Env) -> None:
    for n in range(3):
        for k in range(KEYS):
            env.publish(b"k%d" % k, b"v%d" % n)
    want = Counter(b"k%d|v%d" % (k, n) for k in range(KEYS) for n in range(3))
    # parked by a loop without punctuation, then restored by the next from the changelog
    store = TransactionalStore(watch=(PARKED,))
    first = start(env, stage=Parking, store=store)
    try:
        wait_for(lambda: len(store.watched_keys(0, PARKED) + store.watched_keys(1, PARKED))
                 == len(want), 60, "every record parked")  # fmt: skip
    finally:
        first.stop()
    assert outputs(env) == Counter()
    # the next loop's first two commits fail: what the punctuation released is done again
    store = TransactionalStore(watch=(PARKED,))
    producer = FailingCommits(env.producer(f"{env.group}-b"), failures=2)
    second = start(
        env,
        producer=producer,
        stage=Parking,
        store=store,
        punctuate=releasing(store, env.out),
        punctuate_interval=0.2,
    )
    try:
        wait_for(lambda: sum(outputs(env).values()) >= len(want), 60, "every record released")
        wait_for(lambda: producer.failed == 2, 30, "the two failed commits")
        wait_for(lambda: not store.watched_keys(0, PARKED) + store.watched_keys(1, PARKED),
                 30, "the store empty")  # fmt: skip
    finally:
        second.stop()
    assert outputs(env) == want, "each parked record released once"
    assert not first.errors and not second.errors
    restored = TransactionalStore()
    for partition in range(PARTITIONS):
        restored.restore(partition, env.reader(env.changelog, partition))
    assert restored.items(0) + restored.items(1) == [], "the releases are in the changelog"
