"""The backoff policy and the write-stall reporter (pure logic; the cluster test in
tests/era_streams/test_cluster_kafka.py proves them against real brokers)."""

from __future__ import annotations

import random

import pytest
from confluent_kafka import KafkaError, KafkaException
from prometheus_client import CollectorRegistry

from era_kafka.retry import Backoff, WriteStall, call_with_backoff, is_retriable
from era_testing import metric_samples

pytestmark = pytest.mark.unit


def _error(code: int, *, fatal: bool = False, abortable: bool = False) -> KafkaException:
    return KafkaException(KafkaError(code, "test", fatal=fatal, txn_requires_abort=abortable))


def test_backoff_grows_exponentially_up_to_its_cap_with_bounded_jitter() -> None:
    policy = Backoff(initial=0.5, maximum=4.0, multiplier=2.0, jitter=0.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    jittered = Backoff(initial=1.0, maximum=10.0, jitter=0.2)
    rng = random.Random(3)
    delays = [jittered.delay(1, rng) for _ in range(200)]
    assert all(0.8 <= d <= 1.2 for d in delays)
    assert len(set(delays)) > 100  # really varied, so clients do not retry in lockstep


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (KafkaError._TIMED_OUT, True),
        (KafkaError.NOT_ENOUGH_REPLICAS, True),
        (KafkaError.COORDINATOR_NOT_AVAILABLE, True),
        (KafkaError._ALL_BROKERS_DOWN, True),
        (KafkaError.TOPIC_AUTHORIZATION_FAILED, False),
        (KafkaError.INVALID_TXN_STATE, False),
    ],
)
def test_unavailability_is_retriable_other_errors_are_not(code: int, expected: bool) -> None:
    assert is_retriable(_error(code)) is expected


def test_fatal_and_abortable_errors_are_never_retried() -> None:
    assert not is_retriable(_error(KafkaError._TIMED_OUT, fatal=True))
    assert not is_retriable(_error(KafkaError._TIMED_OUT, abortable=True))
    assert not is_retriable(KafkaException("no KafkaError inside"))


def test_call_with_backoff_retries_until_success_and_reports_the_stall() -> None:
    registry = CollectorRegistry()
    stall = WriteStall("classifier", registry)
    outcomes: list[KafkaException | None] = [
        _error(KafkaError.NOT_ENOUGH_REPLICAS),
        _error(KafkaError._TIMED_OUT),
        None,
    ]
    seen_stalled: list[bool] = []
    slept: list[float] = []

    def operation() -> str:
        seen_stalled.append(stall.stalled)
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return "committed"

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        samples = metric_samples(registry)
        assert samples[("era_kafka_write_stalled", (("service", "classifier"),))] == 1

    result = call_with_backoff(
        operation,
        what="commit_transaction",
        stall=stall,
        backoff=Backoff(jitter=0.0),
        sleep=sleep,
    )
    assert result == "committed"
    assert seen_stalled == [False, True, True]
    assert slept == [0.5, 1.0]
    assert not stall.stalled
    samples = metric_samples(registry)
    assert samples[("era_kafka_write_stalled", (("service", "classifier"),))] == 0
    assert samples[("era_kafka_write_stalls_total", (("service", "classifier"),))] == 1
    retries = (("operation", "commit_transaction"), ("service", "classifier"))
    assert samples[("era_kafka_write_retries_total", retries)] == 2


def test_call_with_backoff_raises_non_retriable_errors_at_once() -> None:
    stall = WriteStall("router")
    calls = 0

    def operation() -> None:
        nonlocal calls
        calls += 1
        raise _error(KafkaError._TIMED_OUT, abortable=True)

    with pytest.raises(KafkaException):
        call_with_backoff(operation, what="commit", stall=stall, sleep=lambda s: None)
    assert calls == 1
    assert not stall.stalled


def test_call_with_backoff_gives_up_when_told_or_out_of_time() -> None:
    stall = WriteStall("ingest")
    calls = 0

    def operation() -> None:
        nonlocal calls
        calls += 1
        raise _error(KafkaError._TIMED_OUT)

    with pytest.raises(KafkaException):
        call_with_backoff(
            operation, what="commit", stall=stall, give_up=lambda: calls >= 3, sleep=lambda s: None
        )
    assert calls == 3
    assert stall.stalled  # still stalled: nothing went through
    calls = 0
    with pytest.raises(KafkaException):
        call_with_backoff(
            operation, what="commit", stall=stall, max_seconds=0.0, sleep=lambda s: None
        )
    assert calls == 1
