"""The classifier stage: Adjustment bytes in, ClassifiedAdjustment bytes out. No Kafka, no faust."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from era_classifier.classification import Classifier
from era_classifier.links import NO_LINKS, ORIGINAL_NOT_SEEN, Linker, Links
from era_classifier.metrics import ClassifierMetrics
from era_contract.codec import AvroCodec
from era_contract.splice import AdjustmentSplice
from era_contract.validation import SchemaViolationError, check_adjustment
from era_streams.stage import Output

ROUTER_FIELDS = {"appeal_deadline": None, "follow_up_by": None, "routed_at": None}


class ClassifierStage:
    """Decodes, validates and classifies one adjustment; raises to have it dead-lettered.

    An adjustment written with the current schema is not re-encoded: its Avro body is copied
    into the output and only the classification fields are encoded (see
    :mod:`era_contract.splice`). ``splice=False`` always decodes and encodes whole records (the
    reference path, for tests and benchmarks).

    With a ``linker`` each adjustment is linked to what was seen before (reversal → original,
    correction → reversed claim, PLB item → claim; :mod:`era_classifier.links`); without one the
    link fields stay null. With a ``lookup_topic`` too (the worker), a PLB item with a reference
    is not classified here but sent there keyed ``<payer>|<reference>`` (the partition that
    holds the claim it may name), and the CLP07 index entries go there keyed
    ``<payer>|<CLP07>``; :meth:`lookup` is the stage of that topic.
    """

    def __init__(
        self,
        classifier: Classifier,
        *,
        decoder: AvroCodec,
        encoder: AvroCodec,
        output_topic: str,
        metrics: ClassifierMetrics | None = None,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        splice: bool = True,
        linker: Linker | None = None,
        lookup_topic: str | None = None,
    ) -> None:
        self.classifier = classifier
        self.decode = decoder.decode
        self.encode = encoder.encode
        self.output_topic = output_topic
        self.metrics = metrics
        self.clock_ms = clock_ms
        self.splice = AdjustmentSplice.for_codecs(decoder, encoder) if splice else None
        self.linker = linker
        self.lookup_topic = lookup_topic
        self._sent: list[Output] = []
        if linker is not None and lookup_topic is not None:
            linker.directory = self._send_index_entry

    def _send_index_entry(self, key: bytes, value: bytes) -> None:
        assert self.lookup_topic is not None
        self._sent.append((self.lookup_topic, value, key))

    def _fields(self, adjustment: dict[str, object]) -> dict[str, object]:
        """The classification, link and router fields the classifier adds to ``adjustment``."""
        fields = self.classifier.classify(adjustment)
        links = NO_LINKS if self.linker is None else self.linker.link(adjustment)
        links.apply(fields)
        if self.metrics is not None and links is not NO_LINKS:
            self._count_links(links)
        return {**fields, "classified_at": self.clock_ms(), **ROUTER_FIELDS}

    def _count_links(self, links: Links) -> None:
        assert self.metrics is not None
        fields = links.fields
        if ORIGINAL_NOT_SEEN in links.flags:
            kind = "original_not_seen"
        elif fields["reverses_event_id"]:
            kind = "reversal"
        elif fields["corrects_claim_event_id"]:
            kind = "correction"
        elif fields["matched_claim_id"]:
            kind = "plb_matched"
        else:
            return
        self.metrics.links.labels(kind).inc()

    def lookup(self, key: bytes | None, value: bytes | None) -> list[Output]:
        """The stage of the lookup topic: an index entry is remembered (no output); a PLB item
        is classified and linked here, in the partition of ``<payer>|<reference>``."""
        data = self._bytes(value)
        if data[:1] == b"{":
            if self.linker is None or key is None:
                raise SchemaViolationError("an index entry needs a linker and a key")
            self.linker.remember_index_entry(key, data)
            return []
        return self._classified(data)

    def classify(self, value: bytes | None) -> dict[str, object]:
        """The classified record for one encoded adjustment."""
        adjustment = self._adjustment(value)
        return {**adjustment, **self._fields(adjustment)}

    def __call__(self, key: bytes | None, value: bytes | None) -> list[Output]:
        data = self._bytes(value)
        if self.lookup_topic is None:
            return self._classified(data)
        self._sent = []
        outputs = self._classified(data, hop=True)
        return [*outputs, *self._sent] if self._sent else outputs

    def _classified(self, data: bytes, *, hop: bool = False) -> list[Output]:
        """``data`` classified and linked; with ``hop`` a PLB item with a reference is sent to
        the lookup topic instead."""
        splice = self.splice
        if splice is None:
            adjustment = self.decode(data)
            check_adjustment(adjustment)
            if hop and (key := Linker.lookup_key(adjustment)) is not None:
                assert self.lookup_topic is not None
                return [(self.lookup_topic, data, key)]
            record = {**adjustment, **self._fields(adjustment)}
            if self.metrics is not None:
                self._count(record, record)
            return [(self.output_topic, self.encode(record, self.output_topic))]
        adjustment, body = splice.decode_adjustment(data)
        check_adjustment(adjustment)
        if hop and (key := Linker.lookup_key(adjustment)) is not None:
            assert self.lookup_topic is not None
            return [(self.lookup_topic, data, key)]
        added = self._fields(adjustment)
        if body is not None and splice.keeps_adjustment(added):
            if self.metrics is not None:
                self._count(adjustment, added)
            return [(self.output_topic, splice.encode_classified(body, added, self.output_topic))]
        record = {**adjustment, **added}
        if self.metrics is not None:
            self._count(record, record)
        return [(self.output_topic, self.encode(record, self.output_topic))]

    def _adjustment(self, value: bytes | None) -> dict[str, object]:
        adjustment = self.decode(self._bytes(value))
        check_adjustment(adjustment)
        return adjustment

    @staticmethod
    def _bytes(value: bytes | None) -> bytes:
        if value is None:
            raise SchemaViolationError("tombstone: expected an Adjustment record")
        return value

    def _count(self, adjustment: Mapping[str, object], added: Mapping[str, object]) -> None:
        """Count one classified record: ``added`` are the classification fields, merged over
        ``adjustment`` (the same mapping when a whole record is at hand)."""
        metrics = self.metrics
        assert metrics is not None
        category = str(added["category"])
        flags = added["flags"]
        unknown = isinstance(flags, list) and "unknown_code" in flags
        group = str(adjustment.get("group_code") or "none")
        # only codes of the code list become label values: a garbage code cannot mint series
        carc = "unknown" if unknown else str(adjustment["carc"])
        payer = str(adjustment.get("payer_id") or "unknown")
        reading = str(added.get("claim_reading") or "provider_level")
        metrics.count(
            category, str(added["action"]), payer, group, carc, unknown=unknown, reading=reading
        )
