"""The loop replaces a producer that failed fatally without being fenced (as librdkafka does
with INVALID_TXN_STATE when an abort meets a transaction coordinator that moved: seen in
`make chaos-cluster`), and rewinds to the committed offsets; a fenced one still stops it.

Fakes stand in for the clients here because the broker-side race cannot be provoked on demand;
the cluster chaos test runs the real thing."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from era_streams.transactional import MAX_PRODUCER_RENEWALS, TransactionalLoop

pytestmark = pytest.mark.unit


def _error(code: int, **flags: bool) -> KafkaException:
    return KafkaException(KafkaError(code, "test", **flags))


class FakeProducer:
    """Records calls; ``commit_error``/``abort_error`` are raised by those calls."""

    created: list[FakeProducer] = []  # noqa: RUF012  (per-test registry, reset by the fixture)

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.calls: list[str] = []
        self.commit_error: KafkaException | None = None
        self.abort_error: KafkaException | None = None
        FakeProducer.created.append(self)

    def init_transactions(self, timeout: float) -> None:
        self.calls.append("init_transactions")

    def send_offsets_to_transaction(self, *args: Any) -> None:
        self.calls.append("send_offsets")

    def commit_transaction(self, timeout: float) -> None:
        self.calls.append("commit")
        if self.commit_error is not None:
            raise self.commit_error

    def abort_transaction(self, timeout: float) -> None:
        self.calls.append("abort")
        if self.abort_error is not None:
            raise self.abort_error


class FakeConsumer:
    """Two assigned partitions at positions 7 and 9, committed at 3 and 5."""

    def __init__(self) -> None:
        self.seeks: list[tuple[int, int]] = []

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition("in", 0), TopicPartition("in", 1)]

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [TopicPartition("in", 0, 7), TopicPartition("in", 1, 9)]

    def consumer_group_metadata(self) -> object:
        return object()

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [TopicPartition("in", 0, 3), TopicPartition("in", 1, 5)]

    def seek(self, tp: TopicPartition) -> None:
        self.seeks.append((tp.partition, tp.offset))


CONFIG = {"transactional.id": "t-router-1"}


@pytest.fixture
def loop() -> TransactionalLoop:
    FakeProducer.created = []
    loop = TransactionalLoop(
        name="router",
        consumer_factory=FakeConsumer,  # type: ignore[arg-type]
        producer_factory=lambda: FakeProducer(CONFIG),  # type: ignore[arg-type,return-value]
        source_topic="in",
        dead_letter_topic="dlt",
        stage=lambda key, value: [],
    )
    loop._producer = FakeProducer(CONFIG)  # type: ignore[assignment]
    loop._consumer = FakeConsumer()  # type: ignore[assignment]
    return loop


def _open_transaction(loop: TransactionalLoop) -> FakeProducer:
    producer: FakeProducer = loop._producer  # type: ignore[assignment]
    loop._in_transaction = True
    return producer


def test_an_abort_that_fails_fatally_gets_a_new_producer_and_a_rewind(
    loop: TransactionalLoop,
) -> None:
    old = _open_transaction(loop)
    old.commit_error = _error(KafkaError._TIMED_OUT, txn_requires_abort=True)
    old.abort_error = _error(KafkaError.INVALID_TXN_STATE, fatal=True)
    loop._commit()
    new = FakeProducer.created[-1]
    assert new is not old and loop._producer is new
    assert new.config["transactional.id"] == "t-router-1"  # same id: fences and aborts the old
    assert new.calls == ["init_transactions"]
    assert loop._consumer.seeks == [(0, 3), (1, 5)]  # type: ignore[attr-defined]
    assert not loop._in_transaction
    # the next transaction commits on the new producer, which resets the count
    _open_transaction(loop)
    loop._commit()
    assert new.calls[-1] == "commit" and loop._renewals == 0


def test_a_fatal_commit_error_gets_a_new_producer_too(loop: TransactionalLoop) -> None:
    old = _open_transaction(loop)
    old.commit_error = _error(KafkaError.INVALID_TXN_STATE, fatal=True)
    loop._commit()
    assert loop._producer is FakeProducer.created[-1] is not old
    assert loop._consumer.seeks == [(0, 3), (1, 5)]  # type: ignore[attr-defined]


def test_a_fenced_producer_still_stops_the_loop(loop: TransactionalLoop) -> None:
    old = _open_transaction(loop)
    old.commit_error = _error(KafkaError.PRODUCER_FENCED, fatal=True)
    with pytest.raises(KafkaException):
        loop._commit()
    assert loop._producer is old


def test_renewals_are_bounded_until_a_commit_succeeds(loop: TransactionalLoop) -> None:
    for _ in range(MAX_PRODUCER_RENEWALS):
        _open_transaction(loop).commit_error = _error(KafkaError.INVALID_TXN_STATE, fatal=True)
        loop._commit()
    _open_transaction(loop).commit_error = _error(KafkaError.INVALID_TXN_STATE, fatal=True)
    with pytest.raises(KafkaException):
        loop._commit()
