"""Rates and lag over time from polled counters."""

from __future__ import annotations

import pytest

from era_dashboard.history import History
from era_dashboard.samples import Sample

pytestmark = pytest.mark.unit


def poll(ingest: float, routed: float, lag: float = 0) -> list[Sample]:
    return [
        Sample(
            "era_ingest_adjustments_published_total", (("level", "line"), ("payer", "1")), ingest
        ),
        Sample("era_router_events_routed_total", (("route", "review"),), routed),
        Sample(
            "era_consumer_lag_records", (("group", "g"), ("partition", "0"), ("topic", "t")), lag
        ),
        Sample(
            "era_consumer_lag_records", (("group", "g"), ("partition", "1"), ("topic", "t")), lag
        ),
    ]


def test_rates_between_polls_and_a_restarted_counter_counts_from_zero() -> None:
    history = History(600)
    history.add(100.0, poll(0, 0))
    history.add(102.0, poll(10, 4))
    history.add(104.0, poll(3, 8))  # ingest restarted: 3 since
    assert history.throughput()["ingest"] == [(102.0, 5.0), (104.0, 1.5)]
    assert history.throughput()["router"] == [(102.0, 2.0), (104.0, 2.0)]
    assert history.throughput()["classifier"] == [(102.0, 0.0), (104.0, 0.0)]


def test_lag_is_summed_over_partitions_and_the_window_drops_old_polls() -> None:
    history = History(10)
    for at, lag in ((100.0, 1), (105.0, 2), (111.0, 3)):
        history.add(at, poll(0, 0, lag))
    assert history.lag() == {"g": [(105.0, 4.0), (111.0, 6.0)]}
    assert len(history) == 2


def test_a_stage_not_read_leaves_a_gap_and_time_never_goes_back() -> None:
    history = History(600)
    history.add(100.0, poll(0, 0))
    history.add(102.0, poll(10, 0)[2:], stages={"classifier"})  # ingest and router unreachable
    history.add(101.0, poll(99, 99))  # a clock step back: ignored
    history.add(104.0, poll(20, 6))
    assert history.throughput()["ingest"] == []
    assert history.throughput()["router"] == []
    assert history.throughput()["classifier"] == [(102.0, 0.0), (104.0, 0.0)]
    assert len(history) == 3
