"""Prometheus metrics of the classifier, on a registry the caller owns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from era_streams.metrics import dead_letter_counter


class ClassifierMetrics:
    """Counts by category, action, group and CARC: bounded label sets, never claim data.

    :meth:`count` keeps the labelled children it increments (``labels()`` costs more than the
    increment itself); the cache holds one entry per label combination, as the registry does.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.classified = Counter(
            "era_classifier_events_classified_total",
            "Adjustments classified, by category and action.",
            ["category", "action"],
            registry=registry,
        )
        self.adjustments = Counter(
            "era_classifier_adjustments_total",
            "Adjustments classified, by payer id, group code, CARC (or 'unknown') and category:"
            " the source of denial rates by payer and by CARC.",
            ["payer", "group", "carc", "category"],
            registry=registry,
        )
        self.unknown_codes = Counter(
            "era_classifier_unknown_codes_total",
            "Adjustments whose reason code is not in the code list, by group code.",
            ["group"],
            registry=registry,
        )
        self.claim_readings = Counter(
            "era_classifier_claim_readings_total",
            "Adjustments classified, by the claim status they were read under (ROUTING.md "
            "principle 0: processed, denied, reversal, predetermination, forwarded, "
            "not_our_claim, unexpected_status, provider_level).",
            ["reading"],
            registry=registry,
        )
        self.links = Counter(
            "era_classifier_links_total",
            "Links made to what was seen before, by kind: reversal (a reversal adjustment names "
            "its original), original_not_seen, correction, plb_matched (a PLB item names its "
            "claim).",
            ["kind"],
            registry=registry,
        )
        self.plb_waits = Counter(
            "era_classifier_plb_waits_total",
            "PLB items that named no claim seen yet at their lookup partition, by outcome: parked "
            "(began to wait), matched (their claim came), passed (left unmatched once the group "
            "had processed past their ingest time), grace (left unmatched after "
            "ERA_CLASSIFIER_LINK_GRACE_SECONDS).",
            ["outcome"],
            registry=registry,
        )
        self.dead_letters = dead_letter_counter(registry)
        self._children: dict[tuple[str, str, str, str, str, bool, str], tuple[Counter, ...]] = {}

    def count(
        self,
        category: str,
        action: str,
        payer: str,
        group: str,
        carc: str,
        *,
        unknown: bool,
        reading: str = "processed",
    ) -> None:
        """Count one classified adjustment; ``unknown`` when its code is not in the code list;
        ``reading`` is the claim status it was read under."""
        key = (category, action, payer, group, carc, unknown, reading)
        children = self._children.get(key)
        if children is None:
            children = (
                self.classified.labels(category, action),
                self.adjustments.labels(payer, group, carc, category),
                self.claim_readings.labels(reading),
            )
            if unknown:
                children += (self.unknown_codes.labels(group),)
            self._children[key] = children
        for child in children:
            child.inc()


class ForwardingBalances(Collector):
    """``era_classifier_forwarding_balance_open{payer}``: the open forwarding balance (PLB FB not
    yet taken back) per payer in the state this process holds (committed only; sum over the
    classifier processes for the whole)."""

    def __init__(self, balances: Callable[[], dict[str, Decimal]]) -> None:
        self.balances = balances

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One sample per payer with an open balance."""
        family = GaugeMetricFamily(
            "era_classifier_forwarding_balance_open",
            "Open forwarding balance (PLB FB not yet taken back by an FB, WO or 72 with its "
            "reference), dollars, per payer id, in the partitions this classifier holds.",
            labels=["payer"],
        )
        for payer, amount in sorted(self.balances().items()):
            family.add_metric([payer or "unknown"], float(amount))
        yield family

    def describe(self) -> Iterable[GaugeMetricFamily]:
        """The family without samples (registration must not read the state)."""
        yield GaugeMetricFamily(
            "era_classifier_forwarding_balance_open", "Open forwarding balance", labels=["payer"]
        )
