"""Metrics every worker exports, on a registry the caller owns."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge


def dead_letter_counter(registry: CollectorRegistry) -> Counter:
    """``era_deadletter_records_total{service,reason}``: one name across every service, so a
    single alert and dashboard panel cover them all."""
    return Counter(
        "era_deadletter_records_total",
        "Records written to the dead-letter topic, by service and reason.",
        ["service", "reason"],
        registry=registry,
    )


class StreamMetrics:
    """Consumer lag per group, topic and partition (a few dozen series at most)."""

    def __init__(self, registry: CollectorRegistry, group: str) -> None:
        self.group = group
        self.lag = Gauge(
            "era_consumer_lag_records",
            "Records not yet processed: end offset (last stable offset) minus the worker's"
            " position, per consumer group, topic and partition.",
            ["group", "topic", "partition"],
            registry=registry,
        )

    def set_lag(self, lags: Mapping[tuple[str, int], int]) -> None:
        """Publish the lag of the partitions this worker holds now."""
        for (topic, partition), lag in lags.items():
            self.lag.labels(self.group, topic, str(partition)).set(lag)

    def forget(self, topic: str, partition: int) -> None:
        """Drop a partition this worker no longer holds (another reports it)."""
        with contextlib.suppress(KeyError):  # never reported
            self.lag.remove(self.group, topic, str(partition))
