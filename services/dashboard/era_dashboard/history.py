"""Throughput and lag over the last minutes, from counters polled at intervals (no I/O)."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from era_dashboard.samples import Sample, sum_by, total

#: The counter each stage increments once per adjustment it has handed on.
STAGE_COUNTERS: dict[str, str] = {
    "ingest": "era_ingest_adjustments_published_total",
    "classifier": "era_classifier_events_classified_total",
    "router": "era_router_events_routed_total",
}
LAG = "era_consumer_lag_records"


@dataclass(frozen=True, slots=True)
class Point:
    """What one poll saw: each stage's counter and each consumer group's lag."""

    at: float
    counters: dict[str, float]
    lag: dict[str, float]


class History:
    """The polls of the last ``window_seconds``; rates are taken between neighbouring polls.

    A counter that went down (a restarted service) counts from zero again, as Prometheus'
    ``rate()`` does.
    """

    def __init__(self, window_seconds: float) -> None:
        self.window_seconds = window_seconds
        self._points: deque[Point] = deque()

    def add(
        self, at: float, samples: Sequence[Sample], stages: Collection[str] | None = None
    ) -> None:
        """Record the samples of one poll taken at Unix time ``at``; ``stages``: the stages
        whose metrics were read (default all), so one unreachable service leaves a gap in its
        own line instead of a drop to zero and a jump back."""
        counters = {
            stage: total(samples, name)
            for stage, name in STAGE_COUNTERS.items()
            if stages is None or stage in stages
        }
        lag = {group: value for (group,), value in sum_by(samples, LAG, ("group",)).items()}
        if self._points and at <= self._points[-1].at:
            return  # a clock step back or a double poll: keep the series monotonic
        self._points.append(Point(at, counters, lag))
        while self._points and self._points[0].at < at - self.window_seconds:
            self._points.popleft()

    def __len__(self) -> int:
        return len(self._points)

    def throughput(self) -> dict[str, list[tuple[float, float]]]:
        """Stage → [(time, adjustments per second since the poll before)]."""
        series: dict[str, list[tuple[float, float]]] = {stage: [] for stage in STAGE_COUNTERS}
        points = list(self._points)
        for before, after in itertools.pairwise(points):
            seconds = after.at - before.at
            for stage in STAGE_COUNTERS:
                if stage not in after.counters or stage not in before.counters:
                    continue
                now, then = after.counters[stage], before.counters[stage]
                grown = now - then if now >= then else now
                series[stage].append((after.at, grown / seconds))
        return series

    def lag(self) -> dict[str, list[tuple[float, float]]]:
        """Consumer group → [(time, records behind)], for every group seen in the window."""
        groups = sorted({group for point in self._points for group in point.lag})
        return {
            group: [(p.at, p.lag[group]) for p in self._points if group in p.lag]
            for group in groups
        }
