"""The delivery watch (pure logic on a fake clock and queue length; the real-broker proof is
tests/era_ingest/test_ingest_delivery_stall_kafka.py)."""

from __future__ import annotations

import pytest

from era_kafka.delivery import DeliveryStalledError, DeliveryWatch

pytestmark = pytest.mark.unit


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _watch(queue: list[int], clock: _Clock, stall: float = 10.0) -> DeliveryWatch:
    watch = DeliveryWatch(lambda: queue[0], stall, clock=clock)
    watch.restart()
    return watch


def test_outstanding_messages_with_no_delivery_stall_after_the_threshold() -> None:
    queue, clock = [0], _Clock()
    watch = _watch(queue, clock)
    queue[0] = 500
    watch.produced(500)
    watch.check()  # none delivered yet, but no time has passed
    clock.now += 9.9
    watch.check()
    clock.now += 0.1
    with pytest.raises(DeliveryStalledError) as raised:
        watch.check()
    assert raised.value.outstanding == 500
    assert raised.value.seconds == pytest.approx(10.0)


def test_any_delivery_restarts_the_clock_also_while_more_is_produced() -> None:
    queue, clock = [0], _Clock()
    watch = _watch(queue, clock)
    for _ in range(5):
        clock.now += 8
        watch.produced(100)
        queue[0] += 99  # 100 more handed over, 1 delivered: the queue grows, yet progress
        watch.check()
    assert watch.stalled_for() == 0.0
    clock.now += 10
    with pytest.raises(DeliveryStalledError):
        watch.check()


def test_an_empty_queue_is_never_stalled() -> None:
    queue, clock = [0], _Clock()
    watch = _watch(queue, clock)
    clock.now += 1000
    watch.check()
    assert watch.stalled_for() == 0.0


def test_failed_deliveries_count_as_settled_not_stalled() -> None:
    # a message that failed leaves the queue too: the commit then fails at once (abortable)
    # instead of being given up by the watch
    queue, clock = [0], _Clock()
    watch = _watch(queue, clock)
    watch.produced(10)
    queue[0] = 10
    clock.now += 5
    watch.check()
    queue[0] = 4
    clock.now += 9
    watch.check()
    clock.now += 9
    watch.check()  # 9 s since the last change


def test_restart_forgets_an_idle_past_and_can_follow_a_new_producer() -> None:
    queue, clock = [0], _Clock()
    watch = _watch(queue, clock)
    clock.now += 3600  # idle for an hour between files
    other = [0]
    watch.restart(lambda: other[0])
    other[0] = 50
    watch.produced(50)
    clock.now += 5
    watch.check()  # 5 s, not an hour
    queue[0] = 10**6  # the old producer no longer counts
    clock.now += 5
    with pytest.raises(DeliveryStalledError):
        watch.check()
