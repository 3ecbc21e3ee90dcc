"""The classifier stage: Adjustment bytes in, ClassifiedAdjustment bytes out. No Kafka, no faust."""

from __future__ import annotations

import time
from collections.abc import Callable

from era_classifier.classification import Classifier
from era_classifier.metrics import ClassifierMetrics
from era_contract.codec import AvroCodec
from era_contract.validation import SchemaViolationError, check_adjustment

ROUTER_FIELDS = {"appeal_deadline": None, "follow_up_by": None, "routed_at": None}


class ClassifierStage:
    """Decodes, validates and classifies one adjustment; raises to have it dead-lettered."""

    def __init__(
        self,
        classifier: Classifier,
        *,
        decode: Callable[[bytes], dict[str, object]],
        encoder: AvroCodec,
        output_topic: str,
        metrics: ClassifierMetrics | None = None,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self.classifier = classifier
        self.decode = decode
        self.encode = encoder.encode
        self.output_topic = output_topic
        self.metrics = metrics
        self.clock_ms = clock_ms

    def classify(self, value: bytes | None) -> dict[str, object]:
        """The classified record for one encoded adjustment."""
        if value is None:
            raise SchemaViolationError("tombstone: expected an Adjustment record")
        adjustment = self.decode(value)
        check_adjustment(adjustment)
        fields = self.classifier.classify(adjustment)
        return {**adjustment, **fields, "classified_at": self.clock_ms(), **ROUTER_FIELDS}

    def __call__(self, key: bytes | None, value: bytes | None) -> list[tuple[str, bytes]]:
        record = self.classify(value)
        if self.metrics is not None:
            self._count(record)
        return [(self.output_topic, self.encode(record))]

    def _count(self, record: dict[str, object]) -> None:
        metrics = self.metrics
        assert metrics is not None
        category = str(record["category"])
        metrics.classified.labels(category, record["action"]).inc()
        flags = record["flags"]
        unknown = isinstance(flags, list) and "unknown_code" in flags
        group = str(record.get("group_code") or "none")
        if unknown:
            metrics.unknown_codes.labels(group).inc()
        # only codes of the code list become label values: a garbage code cannot mint series
        carc = "unknown" if unknown else str(record["carc"])
        payer = str(record.get("payer_id") or "unknown")
        metrics.adjustments.labels(payer, group, carc, category).inc()
