"""Exactly-once consume → transform → produce with Kafka transactions (confluent-kafka).

Each worker runs one loop: consume a batch (``read_committed``), run the stage on every record,
produce its outputs (or a dead-letter record) and commit the consumed offsets **inside the same
transaction** as the outputs (``send_offsets_to_transaction`` with the consumer's group
metadata, KIP-447). So a record's outputs and its offset become visible together or not at all.

When to commit trades latency for throughput: a transaction commits as soon as the worker has
caught up (a poll found nothing more to read), and under a steady backlog at the latest every
``commit_interval`` seconds. So a trickle is handed on at once, while a burst is processed in
few, large transactions (a commit costs a few broker round trips and one marker per partition).

Crashes:

* a worker killed mid-transaction leaves an open transaction that is aborted (the worker that
  takes its partitions over is fenced in by the group generation; the broker aborts the orphan
  after ``transaction.timeout.ms``), and its records are processed again from the last
  committed offset;
* a worker that loses partitions in a rebalance commits what it did before giving them up;
* while the cluster cannot take writes (too few in-sync replicas, no leader, no transaction
  coordinator) every transactional call is retried with backoff (``era_kafka.retry``) and the
  loop reports the stall (``stall.stalled``, for ``/readyz`` and metrics); the open
  transaction keeps its records, so nothing is lost or doubled, and the loop goes on by itself
  once the cluster is back;
* a producer that fails fatally without being fenced (``INVALID_TXN_STATE`` when the
  coordinator moved while a transaction was being aborted) is replaced by a new one with the
  same ``transactional.id`` (its ``init_transactions`` aborts what the old one left open) and the
  records are consumed again from the committed offsets, at most ``MAX_PRODUCER_RENEWALS``
  times before a commit succeeds.

Keyed state (``state``, :mod:`era_streams.changelog`): a stage's store writes are produced to
the changelog partition of their input partition inside the batch's transaction, just before
the offsets; a commit makes them the committed state, an abort rewinds the store with the
consumer, and every assigned partition is restored from its changelog before its records are
processed. A stage may also read more topics (``extra_stages``, co-partitioned with the source:
the same partition count, the range assignor) and may give an output its own key
(``(topic, value, key)``). A ``punctuate`` callback (:mod:`era_streams.progress`) runs about
every ``punctuate_interval`` seconds for each assigned partition, the store focused on it, with
the group's progress: what it returns and writes joins the open transaction (one is begun when
there is anything), exactly like a record's outputs — the classifier lets waiting PLB items go
this way.

Why not faust's own ``processing_guarantee="exactly_once"``: faust-streaming 0.15.3 puts each
sent record into the transaction of its *destination* partition
(``faust/transport/consumer.py``, ``TransactionManager.send``) while offsets commit in the
transaction of the *source* partition, so outputs and offsets are not atomic. A kill test saw
246 duplicated adjustments out of 6,009 with it; this loop has none.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from era_contract.codec import AvroCodec
from era_contract.vocabulary import DEAD_LETTER
from era_kafka.retry import Backoff, WriteStall, call_with_backoff
from era_streams.changelog import StateBinding
from era_streams.deadletter import record_headers, worker_dead_letter
from era_streams.errors import dead_letter_reason
from era_streams.metrics import StreamMetrics
from era_streams.progress import GroupProgress, NoProgress, Progress, Punctuator
from era_streams.stage import Stage

log = logging.getLogger("era.worker")

# Idle, the loop waits for one record (a batch consume would wait for a full batch or the
# timeout); with a transaction open it takes what is already fetched, and none means caught up.
IDLE_POLL_SECONDS = 0.1
CAUGHT_UP_POLL_SECONDS = 0.002
# Each blocking transactional call waits this long before it counts as a stall and is retried.
CALL_TIMEOUT_SECONDS = 10.0
MAX_PRODUCER_RENEWALS = 3
# Fatal errors a new producer cannot cure: another instance owns the transactional.id, or the
# credentials do not allow it.
_NOT_RENEWABLE = frozenset(
    {
        KafkaError._FENCED,
        KafkaError.PRODUCER_FENCED,
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    }
)


def _describe(consumer: Consumer, topic: str) -> Callable[[], Any]:
    """``() -> topic metadata or None`` of ``topic``, for :meth:`TransactionalLoop._retry`."""
    return lambda: consumer.list_topics(topic, timeout=CALL_TIMEOUT_SECONDS).topics.get(topic)


class CopartitionError(ValueError):
    """An input or changelog topic of a stateful loop is missing or has another partition
    count than the source topic: a deployment error, reported at start."""


@dataclass(slots=True)
class LoopState:
    """What the loop reports to health checks and metrics (read from other threads)."""

    assigned: frozenset[int] = frozenset()
    running: bool = False
    processed: int = 0
    dead_lettered: int = 0
    transactions: int = 0
    last_error: str | None = None
    stopped: threading.Event = field(default_factory=threading.Event)


ConsumerFactory = Callable[[], Consumer]
"""Makes the loop's consumer (``read_committed``, no auto-commit; see era_kafka.clients)."""
ProducerFactory = Callable[[], Producer]
"""Makes the loop's transactional producer (its own ``transactional.id``)."""


def client_factories(
    consumer_config: dict[str, Any], producer_config: dict[str, Any]
) -> tuple[ConsumerFactory, ProducerFactory]:
    """Factories of confluent-kafka clients with these configurations."""
    return (lambda: Consumer(consumer_config)), (lambda: Producer(producer_config))


class TransactionalLoop:
    """Runs ``stage`` over ``source_topic`` with exactly-once delivery of its outputs.

    The loop makes its clients when :meth:`run` starts, with ``consumer_factory`` and
    ``producer_factory`` (:func:`client_factories` for real ones): the contract tests run the
    same cases on an in-memory Kafka and on a real broker through them.
    """

    def __init__(
        self,
        *,
        name: str,
        consumer_factory: ConsumerFactory,
        producer_factory: ProducerFactory,
        source_topic: str,
        dead_letter_topic: str,
        stage: Stage,
        commit_interval: float = 0.1,
        batch_size: int = 500,
        on_dead_letter: Callable[[BaseException], None] = lambda exc: None,
        metrics: StreamMetrics | None = None,
        lag_interval: float = 5.0,
        stall: WriteStall | None = None,
        backoff: Backoff | None = None,
        dead_letter_encoder: Callable[[dict[str, Any]], bytes] | None = None,
        state: StateBinding | None = None,
        extra_stages: Mapping[str, Stage] | None = None,
        punctuate: Punctuator | None = None,
        progress: Progress | None = None,
        punctuate_interval: float = 1.0,
    ) -> None:
        self.name = name
        self.consumer_factory = consumer_factory
        self.producer_factory = producer_factory
        self.source_topic = source_topic
        self.dead_letter_topic = dead_letter_topic
        self.stage = stage
        self.commit_interval = commit_interval
        self.batch_size = batch_size
        self.on_dead_letter = on_dead_letter
        self.metrics = metrics
        self.lag_interval = lag_interval
        self.stall = stall or WriteStall(name)
        self.backoff = backoff or Backoff()
        self.encode_dead_letter = dead_letter_encoder or AvroCodec(DEAD_LETTER).encode
        self.state_binding = state
        self.stages: dict[str, Stage] = {**(extra_stages or {}), source_topic: stage}
        self.punctuate = punctuate
        self.progress = progress or NoProgress()
        self.punctuate_interval = punctuate_interval
        self._punctuate_due = 0.0
        self._lag_due = 0.0
        self.state = LoopState()
        self._stop = threading.Event()
        self._in_transaction = False
        self._transaction_started = 0.0
        self._renewals = 0

    def stop(self) -> None:
        """Ask the loop to commit what it has and leave the group."""
        self._stop.set()

    def run(self) -> None:
        """Process until :meth:`stop`; raises on a fatal Kafka error (after aborting), and
        :class:`CopartitionError` before consuming when the topics of a stateful loop do not
        share the source topic's partition count."""
        producer = self.producer_factory()
        self._retry(lambda: producer.init_transactions(CALL_TIMEOUT_SECONDS), "init_transactions")
        consumer = self.consumer_factory()
        self._producer, self._consumer = producer, consumer
        if isinstance(self.progress, GroupProgress):
            self.progress.bind(consumer)
        self.state.running = True
        try:
            self._check_copartitioned(consumer)
            consumer.subscribe(
                [self.source_topic, *(t for t in self.stages if t != self.source_topic)],
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_lost,
            )
            while not self._stop.is_set():
                if self._in_transaction:
                    messages = consumer.consume(self.batch_size, timeout=CAUGHT_UP_POLL_SECONDS)
                else:
                    messages = consumer.consume(1, timeout=IDLE_POLL_SECONDS)
                if messages:
                    self._process(messages)
                if self.punctuate is not None and time.monotonic() >= self._punctuate_due:
                    self._punctuate(self.punctuate)
                if self._in_transaction and (
                    not messages
                    or time.monotonic() - self._transaction_started >= self.commit_interval
                ):
                    self._commit()
                if self.metrics is not None and time.monotonic() >= self._lag_due:
                    self._report_lag()
            if self._in_transaction:
                self._commit()
        except KafkaException as exc:
            self.state.last_error = str(exc)
            self._abort()
            raise
        finally:
            self.state.running = False
            if isinstance(self.progress, GroupProgress):
                self.progress.close()
            consumer.close()
            self._producer.flush(10)
            self.state.stopped.set()

    def _check_copartitioned(self, consumer: Consumer) -> None:
        """The extra input topics and the changelog must have the source topic's partition
        count (partition ``p`` of each belongs with partition ``p`` of the source): a topic a
        broker auto-created with one partition would split a claim's state from its records.
        Raises :class:`CopartitionError` before anything is consumed."""
        topics = [t for t in self.stages if t != self.source_topic]
        if self.state_binding is not None:
            topics.append(self.state_binding.topic)
        if not topics:
            return
        counts: dict[str, int] = {}
        for topic in [self.source_topic, *topics]:
            described = self._retry(_describe(consumer, topic), "list_topics")
            if described is None or described.error is not None or not described.partitions:
                raise CopartitionError(
                    f"{self.name}: topic {topic} does not exist (expected with the partition"
                    f" count of {self.source_topic}; `era topics create` makes it)"
                )
            counts[topic] = len(described.partitions)
        wrong = {t: n for t, n in counts.items() if n != counts[self.source_topic]}
        if wrong:
            found = ", ".join(f"{t} has {n}" for t, n in sorted(wrong.items()))
            raise CopartitionError(
                f"{self.name}: expected every topic with {self.source_topic}'s"
                f" {counts[self.source_topic]} partitions (co-partitioned state); {found}"
            )

    def _retry(self, operation: Callable[[], Any], what: str) -> Any:
        """``operation`` retried with backoff while the cluster cannot take writes (given up
        only when the loop is asked to stop)."""
        return call_with_backoff(
            operation,
            what=what,
            stall=self.stall,
            backoff=self.backoff,
            give_up=self._stop.is_set,
            sleep=self._stop.wait,
        )

    def _process(self, messages: list[Message]) -> None:
        binding = self.state_binding
        store = binding.store if binding is not None else None
        stages, single = self.stages, len(self.stages) == 1
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                if error.fatal():
                    raise KafkaException(error)
                log.warning("consumer error: %s", error)
                continue
            if not self._in_transaction:
                self._begin()
            key = message.key()
            stage = self.stage if single else stages[message.topic() or ""]
            if store is not None:
                partition = message.partition()
                store.focus(partition if partition is not None else -1)
                store.begin_record()
            try:
                outputs = stage(key, message.value())
            except Exception as exc:  # every failure is dead-lettered, never dropped or fatal
                if store is not None:
                    store.discard_record()
                self._dead_letter(message, exc)
                continue
            if store is not None:
                store.end_record()
            for output in outputs:
                if len(output) == 2:
                    self._produce(output[0], output[1], key, None)
                else:
                    self._produce(output[0], output[1], output[2], None)
            self.state.processed += 1

    def _begin(self) -> None:
        self._producer.begin_transaction()
        self._in_transaction = True
        self._transaction_started = time.monotonic()

    def _punctuate(self, punctuate: Punctuator) -> None:
        """Run ``punctuate`` for each assigned partition (the store focused on it): its outputs
        and store writes join the open transaction (one is begun when there are any), so they
        commit with the offsets or not at all, like a record's."""
        self._punctuate_due = time.monotonic() + self.punctuate_interval
        binding = self.state_binding
        store = binding.store if binding is not None else None
        for partition in sorted(self.state.assigned):
            if store is not None:
                store.focus(partition)
                store.begin_record()
            try:
                outputs = punctuate(partition, self.progress)
            except Exception as exc:  # nothing is left behind; tried again at the next round
                if store is not None:
                    store.discard_record()
                log.warning(
                    "%s: punctuation of [%d] failed: %s", self.name, partition, type(exc).__name__
                )
                continue
            if not outputs and (store is None or not store.record_writes()):
                continue
            if not self._in_transaction:
                self._begin()
            if store is not None:
                store.end_record()
            for output in outputs:
                key = output[2] if len(output) == 3 else None
                self._produce(output[0], output[1], key, None)

    def _produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: list[tuple[str, str | bytes | None]] | None,
        partition: int = -1,
    ) -> None:
        while True:
            try:
                if partition >= 0:
                    self._producer.produce(topic, value, key, partition=partition)
                else:
                    self._producer.produce(topic, value, key, headers=headers)
                return
            except BufferError:
                self._producer.poll(0.05)

    def _dead_letter(self, message: Message, error: BaseException) -> None:
        key = message.key()
        record = worker_dead_letter(
            service=self.name,
            reason=dead_letter_reason(error),
            error=error,
            topic=message.topic() or self.source_topic,
            partition=message.partition() or 0,
            offset=message.offset() or 0,
            key=key,
            value=message.value(),
            now_ms=int(time.time() * 1000),
        )
        value = self.encode_dead_letter(record)
        self._produce(self.dead_letter_topic, value, key, record_headers(record))
        self.state.dead_lettered += 1
        self.on_dead_letter(error)
        log.warning(
            "dead-lettered %s[%d]@%d: %s",
            message.topic(),
            message.partition(),
            message.offset(),
            type(error).__name__,
        )

    def _commit(self) -> None:
        consumer, producer = self._consumer, self._producer
        positions = [tp for tp in consumer.position(consumer.assignment()) if tp.offset >= 0]
        binding = self.state_binding
        try:
            if binding is not None:
                binding.flush(lambda t, v, k, p: self._produce(t, v, k, None, p))
            if positions:
                metadata = consumer.consumer_group_metadata()
                self._retry(
                    lambda: producer.send_offsets_to_transaction(
                        positions, metadata, CALL_TIMEOUT_SECONDS
                    ),
                    "send_offsets_to_transaction",
                )
            self._retry(
                lambda: producer.commit_transaction(CALL_TIMEOUT_SECONDS), "commit_transaction"
            )
        except KafkaException as exc:
            error = exc.args[0]
            if error.txn_requires_abort():
                log.warning("transaction aborted, records will be processed again: %s", error)
                self._abort()
                self._rewind()
                return
            if self._renewable(exc):
                self._renew_producer(exc)
                self._rewind()
                return
            raise
        self._in_transaction = False
        self._renewals = 0
        self.state.transactions += 1
        if binding is not None:
            binding.store.commit()

    def _abort(self) -> None:
        if self.state_binding is not None:
            self.state_binding.store.abort()  # rewound with the consumer
        if not self._in_transaction:
            return
        self._in_transaction = False
        try:
            self._retry(
                lambda: self._producer.abort_transaction(CALL_TIMEOUT_SECONDS), "abort_transaction"
            )
        except KafkaException as exc:
            if self._renewable(exc):
                self._renew_producer(exc)
                return
            log.error("abort_transaction failed: %s", exc)

    def _renewable(self, exc: KafkaException) -> bool:
        error = exc.args[0] if exc.args else None
        return (
            isinstance(error, KafkaError)
            and error.fatal()
            and error.code() not in _NOT_RENEWABLE
            and not self._stop.is_set()
        )

    def _renew_producer(self, exc: KafkaException) -> None:
        """Replace a fatally failed producer by a new one with the same transactional.id: its
        ``init_transactions`` bumps the epoch, which aborts whatever the old one left open (or
        waits for its commit to complete); the state is restored from the changelog and the
        caller consumes again from the committed offsets."""
        self._renewals += 1
        if self._renewals > MAX_PRODUCER_RENEWALS:
            raise exc
        log.warning(
            "%s: producer failed (%s); a new one takes over (%d of %d)",
            self.name,
            exc.args[0],
            self._renewals,
            MAX_PRODUCER_RENEWALS,
        )
        self._in_transaction = False
        if self.state_binding is not None:
            self.state_binding.store.abort()
        producer = self.producer_factory()
        self._producer = producer
        self._retry(lambda: producer.init_transactions(CALL_TIMEOUT_SECONDS), "init_transactions")
        binding = self.state_binding
        if binding is not None and self.state.assigned:
            # the failed transaction may have committed after all ("commit succeeded on the
            # broker but the transaction had already failed locally"): now that it is resolved,
            # the state is what the changelog holds, as the offsets are what the group holds
            assigned = sorted(self.state.assigned)
            self._retry(lambda: binding.restore(assigned), "restore")

    def _rewind(self) -> None:
        """After an abort, consume again from the last committed offsets."""
        consumer = self._consumer
        assignment = consumer.assignment()
        committed = self._retry(
            lambda: consumer.committed(assignment, timeout=CALL_TIMEOUT_SECONDS), "committed"
        )
        for tp in committed:
            offset = tp.offset if tp.offset >= 0 else 0
            consumer.seek(TopicPartition(tp.topic, tp.partition, offset))

    def _report_lag(self) -> None:
        """End offset (cached from fetches, so no broker round trip) minus position."""
        assert self.metrics is not None
        self._lag_due = time.monotonic() + self.lag_interval
        consumer = self._consumer
        lags: dict[tuple[str, int], int] = {}
        for tp in consumer.position(consumer.assignment()):
            _, high = consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0 and tp.offset >= 0:
                lags[(tp.topic, tp.partition)] = max(high - tp.offset, 0)
        self.metrics.set_lag(lags)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.state.assigned = self.state.assigned | {tp.partition for tp in partitions}
        log.info("%s assigned partitions %s", self.name, sorted(self.state.assigned))
        binding = self.state_binding
        if binding is not None and partitions:
            # the committed offsets are stable (read_committed) once the previous owner's
            # transaction is resolved; then its changelog writes are readable too
            self._retry(
                lambda: consumer.committed(partitions, timeout=CALL_TIMEOUT_SECONDS), "committed"
            )
            # a leader change meanwhile (a broker restarting) is waited out, not fatal
            assigned = [tp.partition for tp in partitions]
            self._retry(lambda: binding.restore(assigned), "restore")

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self._in_transaction:
            self._commit()
        self.state.assigned = self.state.assigned - {tp.partition for tp in partitions}
        self._forget(partitions)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._abort()
        self.state.assigned = self.state.assigned - {tp.partition for tp in partitions}
        self._forget(partitions)

    def _forget(self, partitions: list[TopicPartition]) -> None:
        if self.state_binding is not None:
            for partition in {tp.partition for tp in partitions}:
                self.state_binding.store.forget(partition)
        if self.metrics is not None:
            for tp in partitions:
                self.metrics.forget(tp.topic, tp.partition)
