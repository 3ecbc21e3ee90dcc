"""The router stage: ClassifiedAdjustment bytes in, the same record with its route fields out to
the route's topic. No Kafka, no faust."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from era_analytics.locations import LocationLabels, LocationMap
from era_contract import vocabulary as v
from era_contract.codec import AvroCodec
from era_contract.splice import AdjustmentSplice
from era_contract.topics import TopicNames
from era_contract.validation import SchemaViolationError, check_adjustment
from era_router.metrics import RouterMetrics
from era_router.routing import Router


class RouterStage:
    """Decodes, validates and routes one classified adjustment; raises to dead-letter it.

    A record written with the current schema keeps its Adjustment fields' Avro body as read:
    only the classification and routing fields are re-encoded (see :mod:`era_contract.splice`).
    ``splice=False`` always decodes and encodes whole records (the reference path, for tests and
    benchmarks).
    """

    def __init__(
        self,
        router: Router,
        *,
        codec: AvroCodec,
        topics: TopicNames,
        metrics: RouterMetrics | None = None,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        splice: bool = True,
        locations: LocationLabels | None = None,
    ) -> None:
        self.router = router
        self.locations = locations or LocationLabels(LocationMap(), 0)
        self.decode = codec.decode
        self.encode = codec.encode
        self.route_topics = topics.routes
        self.metrics = metrics
        self.clock_ms = clock_ms
        self.splice = AdjustmentSplice.for_classified(codec) if splice else None

    def route(self, value: bytes | None) -> dict[str, object]:
        """The routed record for one encoded classified adjustment."""
        return self._route(value)[0]

    def _route(self, value: bytes | None) -> tuple[dict[str, object], bytes | None]:
        """The routed record and, when it may be reused as is, its Adjustment fields' body."""
        if value is None:
            raise SchemaViolationError("tombstone: expected a ClassifiedAdjustment record")
        splice = self.splice
        if splice is None:
            record, body = self.decode(value), None
        else:
            record, body = splice.decode_classified(value)
        check_adjustment(record)
        decision = self.router.route(record)
        fields = decision.fields()
        routed = {**record, **fields, "routed_at": self.clock_ms()}
        if self.metrics is not None:
            flags = routed.get("flags")
            blocked_upstream = isinstance(flags, list) and "co_patient_blocked" in flags
            self._count(
                routed,
                decision.co_patient_blocked or blocked_upstream,
                estimate_blocked=decision.predetermination_blocked,
            )
        if body is not None and splice is not None and splice.keeps_adjustment(fields):
            return routed, body
        return routed, None

    def _count(
        self, routed: dict[str, object], blocked: bool, *, estimate_blocked: bool = False
    ) -> None:
        metrics = self.metrics
        assert metrics is not None
        amount = Decimal(str(routed["amount"]))
        sign = "negative" if amount < 0 else "positive"
        metrics.count_routed(str(routed["route"]), sign, float(abs(amount)))
        if blocked:
            metrics.co_patient_blocks.inc()
        if estimate_blocked:
            metrics.predetermination_blocks.inc()
        deadline = routed.get("appeal_deadline")
        if routed["route"] == v.APPEALS and isinstance(deadline, str) and amount > 0:
            npi = routed.get("payee_npi")
            metrics.appeals_due.add(
                str(routed["event_id"]),
                self.locations.label(npi if isinstance(npi, str) else None),
                date.fromisoformat(deadline),
                float(amount),
            )
        ingested_at = routed.get("ingested_at")
        if isinstance(ingested_at, int):
            latency = (int(str(routed["routed_at"])) - ingested_at) / 1000
            metrics.latency.observe(max(latency, 0.0))

    def __call__(self, key: bytes | None, value: bytes | None) -> list[tuple[str, bytes]]:
        routed, body = self._route(value)
        topic = self.route_topics[str(routed["route"])]
        if body is not None and self.splice is not None:
            return [(topic, self.splice.encode_classified(body, routed, topic))]
        return [(topic, self.encode(routed, topic))]
