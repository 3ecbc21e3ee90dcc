"""Prometheus metrics of the ingest service, on a registry the caller owns."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from era_ingest.records import Tally
from era_ingest.x12.problems import WARNING_KINDS
from era_kafka.retry import WriteStall
from era_streams.metrics import dead_letter_counter


class IngestMetrics:
    """Counters and histograms of files and adjustments (labels: low cardinality only)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.files = Counter(
            "era_ingest_files_processed_total",
            "ERA files processed, by outcome (accepted, partial, rejected, duplicate).",
            ["outcome"],
            registry=registry,
        )
        self.adjustments = Counter(
            "era_ingest_adjustments_published_total",
            "Adjustments published to the adjustments topic, by payer id and level.",
            ["payer", "level"],
            registry=registry,
        )
        self.transactions_rejected = Counter(
            "era_ingest_transaction_sets_rejected_total",
            "835 transaction sets rejected whole.",
            registry=registry,
        )
        self.warnings = Counter(
            "era_ingest_warnings_total",
            "Warnings on files read whole, by kind (line_wrapped, padding, header_text,"
            " envelope_count, control_number, balance, date, segment, duplicate, other).",
            ["kind"],
            registry=registry,
        )
        for kind in WARNING_KINDS:
            self.warnings.labels(kind)  # every kind is exported, from 0
        self.dead_letters = dead_letter_counter(registry)
        self.claims = Counter(
            "era_ingest_claims_total",
            "Claims on accepted transaction sets, by payer id and outcome"
            " (paid, denied, reversal, other; from CLP02): the denial rate's source.",
            ["payer", "outcome"],
            registry=registry,
        )
        self.adjudicated = Counter(
            "era_ingest_claims_adjudicated_total",
            "Adjudicated claims (CLP02 1, 2, 3, 4, 19, 20, 21, 23) on accepted transaction sets,"
            " by location (the payee NPI's office, bounded) and payer id: the denial rate's"
            " denominator (docs/observability.md, Denial analytics).",
            ["location", "payer"],
            registry=registry,
        )
        self.denied = Counter(
            "era_ingest_claims_denied_total",
            "Denied claims (CLP02 4, or every line paid 0 with a denial-category adjustment), by"
            " location, payer id and the upstream cause of the dominant denial adjustment.",
            ["location", "payer", "upstream_cause"],
            registry=registry,
        )
        self.denied_dollars = Counter(
            "era_ingest_denied_dollars_total",
            "Charge minus payment of denied claims (dollars), by location, payer id and upstream"
            " cause.",
            ["location", "payer", "upstream_cause"],
            registry=registry,
        )
        self.last_remittance = Gauge(
            "era_ingest_last_remittance_timestamp_seconds",
            "When the last remittance (check or EFT) of a payer id was committed (Unix time);"
            " no series before its first: the missing-ERA alert's source.",
            ["payer"],
            registry=registry,
        )
        self.last_file = Gauge(
            "era_ingest_last_file_timestamp_seconds",
            "When the last ERA file was committed (Unix time); 0 before the first.",
            registry=registry,
        )
        self.parse_seconds = Histogram(
            "era_ingest_file_seconds",
            "Time to parse and publish one file, in seconds.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
            registry=registry,
        )
        self.write_stall = WriteStall("ingest", registry)

    def record_file(self, outcome: str, tally: Tally, seconds: float, now: float) -> None:
        """Count one committed file (``tally``: what its last transaction published)."""
        self.files.labels(outcome).inc()
        self.record_committed(tally, now)
        self.parse_seconds.observe(seconds)
        self.last_file.set(now)

    def record_committed(self, tally: Tally, now: float | None = None) -> None:
        """Count what one committed Kafka transaction published (``now``: its commit time)."""
        for (payer, level), count in tally.adjustments.items():
            self.adjustments.labels(payer, level).inc(count)
        for (payer, claim_outcome), count in tally.claims.items():
            self.claims.labels(payer, claim_outcome).inc(count)
        for reason, count in tally.dead_letters.items():
            self.dead_letters.labels("ingest", reason).inc(count)
        for kind, count in tally.warnings.items():
            self.warnings.labels(kind).inc(count)
        if tally.rejected_sets:
            self.transactions_rejected.inc(tally.rejected_sets)
        for (location, payer), count in tally.adjudicated.items():
            self.adjudicated.labels(location, payer).inc(count)
        for key, count in tally.denied.items():
            self.denied.labels(*key).inc(count)
        for key, dollars in tally.denied_dollars.items():
            self.denied_dollars.labels(*key).inc(max(dollars, 0.0))
        if tally.remittance_payers:
            committed = time.time() if now is None else now
            for payer in tally.remittance_payers:
                self.last_remittance.labels(payer).set(committed)
