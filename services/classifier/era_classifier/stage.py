"""The classifier stage: Adjustment bytes in, ClassifiedAdjustment bytes out. No Kafka, no faust."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping

from era_classifier.classification import Classifier
from era_classifier.links import NO_LINKS, ORIGINAL_NOT_SEEN, Linker, Links
from era_classifier.metrics import ClassifierMetrics
from era_classifier.pending import GRACE, PENDING_PREFIX, PendingItems, Waiting, due, leading
from era_contract.codec import AvroCodec
from era_contract.splice import AdjustmentSplice
from era_contract.validation import SchemaViolationError, check_adjustment
from era_streams.progress import Progress
from era_streams.stage import Output

log = logging.getLogger("era.classifier")

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
    ``<payer>|<CLP07>``; :meth:`lookup` is the stage of that topic. With ``pending`` too, a PLB
    item that names no claim seen yet waits there for it (:mod:`era_classifier.pending`):
    ``pending_keys(partition)`` lists the keys items wait under, :meth:`punctuate` lets them
    go unmatched once the group has passed them or after ``grace_ms``.
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
        pending: PendingItems | None = None,
        pending_keys: Callable[[int], Iterable[bytes]] = lambda partition: (),
        grace_ms: int = 0,
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
        self.pending = pending if linker is not None and lookup_topic is not None else None
        self.pending_keys = pending_keys
        self.grace_ms = grace_ms
        if self.pending is not None:
            assert linker is not None
            linker.new_claims = []

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
        """The stage of the lookup topic: an index entry is remembered (and lets the PLB items
        waiting for it go, matched); a PLB item is classified and linked here, in the partition
        of ``<payer>|<reference>`` — or waits there when it names no claim seen yet."""
        data = self._bytes(value)
        if data[:1] == b"{":
            if self.linker is None or key is None:
                raise SchemaViolationError("an index entry needs a linker and a key")
            self.linker.remember_index_entry(key, data)
            return self._resolve(key) if self.pending is not None else []
        pending, linker = self.pending, self.linker
        if pending is None or linker is None or key is None:
            return self._classified(data)
        adjustment = self._adjustment(data)  # invalid: dead-lettered now, never parked
        if not pending.waiting(key) and linker.named_claim(adjustment) is not None:
            return self._classified(data)
        now = self.clock_ms()
        ingested = adjustment.get("ingested_at")
        pending.park(key, Waiting(data, ingested if isinstance(ingested, int) else now, now))
        self._count_wait("parked")
        return []

    def punctuate(self, partition: int, progress: Progress) -> list[Output]:
        """The PLB items waiting in ``partition`` that may go now, classified: matched when
        their claim is seen, else unmatched once ``progress`` has passed their ingest time or
        they waited ``grace_ms`` (the loop calls this about once a second)."""
        pending, linker = self.pending, self.linker
        if pending is None or linker is None:
            return []
        now = self.clock_ms()
        outputs: list[Output] = []
        for store_key in self.pending_keys(partition):
            key = store_key[len(PENDING_PREFIX) :]
            reasons: list[str] = []
            for item in pending.items(key):  # the oldest first, so one key's items keep order
                why = self._leaves(item, partition, progress, now)
                if why is None:
                    break
                reasons.append(why)
            if reasons:
                outputs.extend(self._release(key, reasons))
        return outputs

    def _leaves(self, item: Waiting, partition: int, progress: Progress, now: int) -> str | None:
        """Why a waiting item may go now (``matched`` or a :func:`due` reason), or ``None``."""
        assert self.linker is not None
        if self.linker.named_claim(self.decode(item.data)) is not None:
            return "matched"
        return due(item, partition=partition, progress=progress, now_ms=now, grace_ms=self.grace_ms)

    def _resolve(self, key: bytes) -> list[Output]:
        """The items waiting under ``key`` that name a claim seen now, classified (matched)."""
        pending, linker = self.pending, self.linker
        assert pending is not None and linker is not None
        items = pending.items(key)
        if not items:
            return []
        count = leading(items, lambda item: linker.named_claim(self.decode(item.data)) is not None)
        return self._release(key, ["matched"] * count) if count else []

    def _release(self, key: bytes, reasons: list[str]) -> list[Output]:
        assert self.pending is not None
        outputs: list[Output] = []
        for item, reason in zip(self.pending.release(key, len(reasons)), reasons, strict=True):
            outputs.extend((out[0], out[1], key) for out in self._classified(item.data))
            self._count_wait(reason)
        if GRACE in reasons:  # no claim data: how many, and the bound
            log.info(
                "%d PLB item(s) left unmatched after the grace of %d s (the consumer group had "
                "not processed past their ingest time)",
                reasons.count(GRACE),
                self.grace_ms // 1000,
            )
        return outputs

    def _count_wait(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.plb_waits.labels(outcome).inc()

    def classify(self, value: bytes | None) -> dict[str, object]:
        """The classified record for one encoded adjustment."""
        adjustment = self._adjustment(value)
        return {**adjustment, **self._fields(adjustment)}

    def __call__(self, key: bytes | None, value: bytes | None) -> list[Output]:
        data = self._bytes(value)
        if self.lookup_topic is None:
            return self._classified(data)
        self._sent = []
        new_claims = self.linker.new_claims if self.linker is not None else None
        if new_claims:
            new_claims.clear()
        outputs = self._classified(data, hop=True)
        if new_claims:  # a claim seen first: PLB items naming it by CLP01 may wait for it
            for claim_key in new_claims:
                if self.pending is not None and self.pending.waiting(claim_key):
                    outputs = [*outputs, *self._resolve(claim_key)]
            new_claims.clear()
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
