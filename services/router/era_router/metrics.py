"""Prometheus metrics of the router, on a registry the caller owns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from era_streams.metrics import dead_letter_counter

DUE_DAYS = 7  # "appeals due within 7 days"


class AppealsDue:
    """The appeal work items (adjustments routed to ``appeals``) whose ``appeal_deadline`` falls
    within the next :data:`DUE_DAYS` days, per location, read when Prometheus scrapes.

    Kept in memory by the process that routed them, each event once (a retried batch counts
    nothing twice) until its deadline has passed: a restarted router, or one that took over
    partitions, knows only what it routed since.
    """

    def __init__(
        self, count: Gauge, dollars: Gauge, today: Callable[[], date] = date.today
    ) -> None:
        self.count = count
        self.dollars = dollars
        self.today = today
        self._by_day: dict[tuple[str, date], list[float]] = {}  # (location, deadline) -> sums
        self._seen: dict[str, date] = {}  # event id -> deadline
        self._pruned: date | None = None

    def add(self, event_id: str, location: str, deadline: date, amount: float) -> None:
        """Count one appeal item, once per event id; past deadlines are not kept."""
        self._prune()
        if event_id in self._seen or deadline < self.today():
            return
        self._seen[event_id] = deadline
        sums = self._by_day.get((location, deadline))
        if sums is None:
            sums = self._by_day[(location, deadline)] = [0.0, 0.0]
            self.count.labels(location).set_function(lambda: self.due(location)[0])
            self.dollars.labels(location).set_function(lambda: self.due(location)[1])
        sums[0] += 1
        sums[1] += amount

    def due(self, location: str) -> tuple[float, float]:
        """(items, dollars) of ``location`` due today or within the next DUE_DAYS days."""
        self._prune()
        today = self.today()
        count = dollars = 0.0
        for offset in range(DUE_DAYS + 1):
            sums = self._by_day.get((location, today + timedelta(days=offset)))
            if sums is not None:
                count += sums[0]
                dollars += sums[1]
        return count, dollars

    def _prune(self) -> None:
        today = self.today()
        if self._pruned == today:
            return
        self._pruned = today
        self._by_day = {key: sums for key, sums in self._by_day.items() if key[1] >= today}
        self._seen = {event: day for event, day in self._seen.items() if day >= today}


class RouterMetrics:
    """Routed events and dollars per route, CO→patient and predetermination blocks, end-to-end
    latency.

    :meth:`count_routed` keeps the labelled children it increments (``labels()`` costs more
    than the increment itself); one entry per route and sign.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.routed = Counter(
            "era_router_events_routed_total",
            "Adjustments routed, by route.",
            ["route"],
            registry=registry,
        )
        self.dollars = Counter(
            "era_router_dollars_routed_total",
            "Sum of adjustment amounts routed, by route and sign (dollars).",
            ["route", "sign"],
            registry=registry,
        )
        self.co_patient_blocks = Counter(
            "era_router_co_patient_blocks_total",
            "CO/PI adjustments that something tried to bill to the patient; sent to review.",
            registry=registry,
        )
        self.predetermination_blocks = Counter(
            "era_router_predetermination_blocks_total",
            "Adjustments of a predetermination (CLP02 25) that something tried to send to "
            "writeoff, appeals, patient_statements or cob_rebill; sent to review.",
            registry=registry,
        )
        self.latency = Histogram(
            "era_pipeline_latency_seconds",
            "Time from ingest publishing an adjustment to the router routing it, in seconds.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=registry,
        )
        self.appeals_due_count = Gauge(
            "era_router_appeals_due_7d",
            "Appeal work items (adjustments routed to appeals) whose appeal_deadline is today or"
            " within 7 days, by location (the payee NPI's office, bounded); those this process"
            " routed since it started.",
            ["location"],
            registry=registry,
        )
        self.appeals_due_dollars = Gauge(
            "era_router_appeal_dollars_due_7d",
            "Dollars of the appeal work items due today or within 7 days, by location.",
            ["location"],
            registry=registry,
        )
        self.appeals_due = AppealsDue(self.appeals_due_count, self.appeals_due_dollars)
        self.dead_letters = dead_letter_counter(registry)
        self._by_route: dict[tuple[str, str], tuple[Counter, Counter]] = {}

    def count_routed(self, route: str, sign: str, dollars: float) -> None:
        """Count one adjustment of ``dollars`` (its absolute amount) routed to ``route``;
        ``sign`` is ``negative`` or ``positive``."""
        children = self._by_route.get((route, sign))
        if children is None:
            children = (self.routed.labels(route), self.dollars.labels(route, sign))
            self._by_route[(route, sign)] = children
        routed, amounts = children
        routed.inc()
        amounts.inc(dollars)
