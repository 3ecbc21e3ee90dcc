"""Prometheus metrics of the router, on a registry the caller owns."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from era_streams.metrics import dead_letter_counter


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
