"""Waiting out a cluster that cannot take writes: one backoff policy and one stall reporter,
shared by ingest and the workers.

A replicated cluster refuses writes while fewer than ``min.insync.replicas`` replicas of a
partition are alive (two of three brokers down), while a partition has no leader, or while the
transaction coordinator has no quorum for ``__transaction_state``. librdkafka then answers the
transactional calls (``init_transactions``, ``send_offsets_to_transaction``,
``commit_transaction``, ``abort_transaction``) with a *retriable* error (timed out, not enough
replicas, coordinator not available, ...) and documents that the same call may simply be made
again. :func:`call_with_backoff` does exactly that, sleeping an exponentially growing, jittered
delay between tries, and :class:`WriteStall` tells ``/readyz`` and Prometheus while it lasts:

* ``era_kafka_write_stalled{service}`` 1 while a write is being retried, else 0;
* ``era_kafka_write_stalls_total{service}`` how many stalls began;
* ``era_kafka_write_retries_total{service,operation}`` every retry, by operation.

Nothing is given up on a retriable error (unless the caller bounds it): the records stay in the
open transaction, or uncommitted in the source topic, so nothing is lost and nothing is doubled.
A fatal or abortable error is not retried here; the caller handles it as before.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from confluent_kafka import KafkaError, KafkaException
from prometheus_client import CollectorRegistry, Counter, Gauge

log = logging.getLogger("era.kafka")

T = TypeVar("T")

# Errors that mean "the cluster cannot take this write right now", also when librdkafka does
# not flag them retriable itself (a local timeout of a blocking call is one).
_UNAVAILABLE = frozenset(
    {
        KafkaError._TIMED_OUT,
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._WAIT_COORD,
        KafkaError._MSG_TIMED_OUT,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NOT_ENOUGH_REPLICAS,
        KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.CONCURRENT_TRANSACTIONS,
    }
)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter: ``initial * multiplier**(attempt-1)``, capped at
    ``maximum``, each delay varied by up to ``±jitter`` of itself (so many clients that lost the
    same broker do not retry in lockstep)."""

    initial: float = 0.5
    maximum: float = 15.0
    multiplier: float = 2.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1 = the first retry)."""
        base = min(self.maximum, self.initial * self.multiplier ** max(attempt - 1, 0))
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, base * (1 + spread))


def is_retriable(exc: KafkaException) -> bool:
    """True when ``exc`` means the cluster cannot take the write now and the same call may be
    made again; False for fatal errors and for a transaction that must be aborted."""
    error = exc.args[0] if exc.args else None
    if not isinstance(error, KafkaError):
        return False
    if error.fatal() or error.txn_requires_abort():
        return False
    return bool(error.retriable()) or error.code() in _UNAVAILABLE


class WriteStall:
    """Whether this process's Kafka writes are blocked right now (thread-safe), exported as
    metrics on ``registry`` (none: tracked only) for ``service``."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._since: float | None = None
        self._gauge: Gauge | None = None
        self._stalls: Counter | None = None
        self._retries: Counter | None = None
        if registry is not None:
            self._gauge = Gauge(
                "era_kafka_write_stalled",
                "1 while this process retries a Kafka write the cluster cannot take (too few"
                " in-sync replicas, no leader, no transaction coordinator), else 0.",
                ["service"],
                registry=registry,
            )
            self._gauge.labels(service).set(0)
            self._stalls = Counter(
                "era_kafka_write_stalls",
                "Write stalls begun: times the cluster stopped taking this process's writes.",
                ["service"],
                registry=registry,
            )
            self._stalls.labels(service)
            self._retries = Counter(
                "era_kafka_write_retries",
                "Kafka writes retried after a retriable error, by operation.",
                ["service", "operation"],
                registry=registry,
            )

    @property
    def stalled(self) -> bool:
        """True while a write is being retried."""
        return self._since is not None

    @property
    def stalled_seconds(self) -> float:
        """How long the current stall has lasted (0 when none)."""
        since = self._since
        return 0.0 if since is None else time.monotonic() - since

    def retrying(self, operation: str, error: KafkaException) -> None:
        """Record one retry of ``operation``; the first one begins a stall."""
        with self._lock:
            began = self._since is None
            if began:
                self._since = time.monotonic()
        if self._retries is not None:
            self._retries.labels(self.service, operation).inc()
        if began:
            if self._gauge is not None and self._stalls is not None:
                self._gauge.labels(self.service).set(1)
                self._stalls.labels(self.service).inc()
            log.warning(
                "%s: the cluster cannot take writes (%s: %s); waiting and retrying",
                self.service,
                operation,
                error.args[0] if error.args else error,
            )

    def resumed(self) -> None:
        """A write went through: the stall (if any) is over."""
        with self._lock:
            since, self._since = self._since, None
        if since is None:
            return
        if self._gauge is not None:
            self._gauge.labels(self.service).set(0)
        log.warning(
            "%s: writes resumed after %.1fs of stall", self.service, time.monotonic() - since
        )


def call_with_backoff(
    operation: Callable[[], T],
    *,
    what: str,
    stall: WriteStall,
    backoff: Backoff | None = None,
    give_up: Callable[[], bool] = lambda: False,
    max_seconds: float | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> T:
    """Run ``operation`` until it succeeds, retrying retriable Kafka errors with ``backoff``.

    Re-raises a non-retriable error at once, and a retriable one when ``give_up()`` is true
    (e.g. the process is stopping) or after ``max_seconds`` (None: no time limit). ``sleep``
    waits between tries (a stop event's ``wait`` ends the wait early)."""
    policy = backoff or Backoff()
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            result = operation()
        except KafkaException as exc:
            out_of_time = max_seconds is not None and time.monotonic() - started >= max_seconds
            if not is_retriable(exc) or give_up() or out_of_time:
                raise
            attempt += 1
            stall.retrying(what, exc)
            sleep(policy.delay(attempt))
            continue
        stall.resumed()
        return result
