"""The group's progress (era_streams.progress.GroupProgress) on a stand-in consumer: passed once
the group committed every source partition past the first record after the time and the loop
read the extra topic to the end it had then; "not yet" while a query fails. The broker form is
in tests/era_classifier/test_pending_kafka.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from era_streams.progress import GroupProgress

pytestmark = pytest.mark.unit

SOURCE, LOOKUP = "in", "lookup"


@dataclass
class Stand:
    """A consumer stand-in: per (topic, partition) log ends, record times, committed and own
    positions; ``fail`` makes every query raise."""

    ends: dict[tuple[str, int], int] = field(default_factory=dict)
    times: dict[int, list[int]] = field(default_factory=dict)  # source partition -> timestamps
    committed_at: dict[int, int] = field(default_factory=dict)
    positions: dict[tuple[str, int], int] = field(default_factory=dict)
    fail: bool = False
    queries: int = 0

    def _query(self) -> None:
        self.queries += 1
        if self.fail:
            raise KafkaException(KafkaError(KafkaError._TRANSPORT, "down"))

    def list_topics(self, topic: str, timeout: float) -> Any:
        self._query()
        return SimpleNamespace(topics={topic: SimpleNamespace(partitions={0: None, 1: None})})

    def offsets_for_times(self, tps: list[TopicPartition], timeout: float) -> Any:
        self._query()
        out = []
        for tp in tps:
            stamps = self.times.get(tp.partition, [])
            first = next((i for i, t in enumerate(stamps) if t >= tp.offset), -1)
            out.append(TopicPartition(tp.topic, tp.partition, first))
        return out

    def get_watermark_offsets(self, tp: TopicPartition, timeout: float, cached: bool) -> Any:
        self._query()
        return 0, self.ends.get((tp.topic, tp.partition), 0)

    def committed(self, tps: list[TopicPartition], timeout: float) -> Any:
        self._query()
        return [TopicPartition(t.topic, t.partition, self.committed_at.get(t.partition, -1001))
                for t in tps]  # fmt: skip

    def position(self, tps: list[TopicPartition]) -> Any:
        return [TopicPartition(t.topic, t.partition, self.positions.get((t.topic, t.partition),
                -1001)) for t in tps]  # fmt: skip

    def close(self) -> None:
        pass


def progress(stand: Stand, now: list[float]) -> GroupProgress:
    made = GroupProgress(lambda: stand, SOURCE, [LOOKUP], clock=lambda: now[0])  # type: ignore[arg-type,return-value]
    made.bind(stand)  # type: ignore[arg-type]
    return made


def test_passed_needs_the_group_past_the_time_and_the_lookup_read_to_its_end() -> None:
    # partition 0: records at t=10, 20, 30; partition 1: at t=15 (then nothing)
    stand = Stand(times={0: [10, 20, 30], 1: [15]}, ends={(SOURCE, 0): 3, (SOURCE, 1): 1})
    now = [0.0]
    group = progress(stand, now)
    stand.committed_at = {0: 2, 1: 0}
    assert not group.passed(0, 20)  # partition 1 not committed past its t=15 record
    stand.committed_at = {0: 2, 1: 1}
    now[0] += 1  # the committed offsets are read again after half a second
    stand.ends[(LOOKUP, 0)] = 7  # what the group had sent to lookup[0] by then
    stand.positions[(LOOKUP, 0)] = 6
    assert not group.passed(0, 20)  # the group is past t=20, this loop has not read lookup[0]
    stand.ends[(LOOKUP, 0)] = 9  # later writes do not move the mark taken
    stand.positions[(LOOKUP, 0)] = 7
    assert group.passed(0, 20)
    assert not group.passed(0, 30)  # partition 0's t=30 record (offset 2) not committed past


def test_a_failing_query_answers_not_yet_and_waits_before_asking_again() -> None:
    stand = Stand(fail=True)
    now = [0.0]
    group = progress(stand, now)
    assert not group.passed(0, 1)
    asked = stand.queries
    stand.fail = False
    assert not group.passed(0, 1) and stand.queries == asked  # quiet for a few seconds
    now[0] += 10
    assert group.passed(0, 1)  # nothing anywhere: everything is passed
