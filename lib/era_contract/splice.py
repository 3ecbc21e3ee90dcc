"""ClassifiedAdjustment bytes built around the Adjustment bytes they start with.

A ClassifiedAdjustment's fields are the Adjustment fields, in the same order and with the same
types, followed by the classification and routing fields (the *suffix*). Avro writes a record
as its fields one after the other, so the body of a ClassifiedAdjustment is the body of its
Adjustment followed by the body of a record of the suffix fields alone.

The classifier and the router use this to skip re-encoding the ~40 Adjustment fields they never
change: they keep the Adjustment body bytes as read and encode only the suffix. That holds only
when the bytes read were written with the current schema; for any other writer schema (an older
release, another registry version) :class:`AdjustmentSplice` says so and the caller takes the
full decode/encode path, which resolves the writer schema.

Both parts are read and written with :mod:`era_contract.compiled` (fastavro's bytes, several
times cheaper per record); schemas it cannot compile get no splice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import fastavro

from era_contract.codec import AvroCodec, CodecError
from era_contract.compiled import AvroDataError, CompiledRecord, compile_record
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT, SchemaNotFoundError

_SUFFIX_NAME = "era.splice.ClassifiedAdjustmentSuffix"


def adjustment_prefix_matches(adjustment: Mapping[str, Any], classified: Mapping[str, Any]) -> bool:
    """Whether the ``classified`` schema definition starts with exactly the fields of the
    ``adjustment`` one (same names, same types, same order): the splice's precondition."""
    head = [(f["name"], f["type"]) for f in adjustment["fields"]]
    fields = classified["fields"]
    return len(fields) > len(head) and [(f["name"], f["type"]) for f in fields[: len(head)]] == head


class AdjustmentSplice:
    """Reads and writes ClassifiedAdjustment bytes as Adjustment body + suffix body.

    Build it with :meth:`for_codecs`, which returns ``None`` when the current schemas do not
    line up (the callers then always take the full path).
    """

    def __init__(self, adjustment: AvroCodec, classified: AvroCodec) -> None:
        """Use :meth:`for_codecs`; this raises :class:`ValueError` when the schemas do not fit."""
        adjustment_definition = adjustment.schema.definition
        classified_definition = classified.schema.definition
        if adjustment.name != ADJUSTMENT or classified.name != CLASSIFIED_ADJUSTMENT:
            raise ValueError(f"expected {ADJUSTMENT} and {CLASSIFIED_ADJUSTMENT} codecs")
        if not adjustment_prefix_matches(adjustment_definition, classified_definition):
            raise ValueError(f"{CLASSIFIED_ADJUSTMENT} does not start with the {ADJUSTMENT} fields")
        self.adjustment = adjustment
        self.classified = classified
        self.adjustment_fields = frozenset(adjustment.schema.field_names)
        suffix = classified_definition["fields"][len(adjustment_definition["fields"]) :]
        self.suffix_fields: tuple[str, ...] = tuple(f["name"] for f in suffix)
        prefix_codec = compile_record(adjustment.schema.parsed)
        suffix_codec = compile_record(
            fastavro.parse_schema({"type": "record", "name": _SUFFIX_NAME, "fields": suffix})
        )
        if prefix_codec is None or suffix_codec is None:
            raise ValueError(f"{CLASSIFIED_ADJUSTMENT} has field types era_contract.compiled lacks")
        self._prefix: CompiledRecord = prefix_codec
        self._suffix: CompiledRecord = suffix_codec

    @classmethod
    def for_codecs(cls, adjustment: AvroCodec, classified: AvroCodec) -> AdjustmentSplice | None:
        """The splice of these two codecs, or ``None`` when their schemas do not allow one."""
        try:
            return cls(adjustment, classified)
        except ValueError:  # also fastavro's UnknownType: the suffix names a prefix type
            return None

    @classmethod
    def for_classified(cls, classified: AvroCodec) -> AdjustmentSplice | None:
        """The splice of ``classified`` and an Adjustment codec of the same catalog and
        registry, or ``None`` when their schemas do not allow one."""
        try:
            adjustment = AvroCodec(
                ADJUSTMENT, catalog=classified.catalog, registry=classified.registry
            )
        except SchemaNotFoundError:
            return None
        return cls.for_codecs(adjustment, classified)

    def keeps_adjustment(self, fields: Mapping[str, object]) -> bool:
        """Whether ``fields``, merged over an adjustment, leave all its Adjustment fields alone
        (only then may its Adjustment body be reused)."""
        return fields.keys().isdisjoint(self.adjustment_fields)

    def decode_adjustment(self, data: bytes) -> tuple[dict[str, Any], bytes | None]:
        """The Adjustment in ``data`` and, when written with the current schema, its Avro body
        (exactly the bytes the record was read from); otherwise ``None`` and the record read
        through the codec's full path."""
        offset = self.adjustment.current_body_offset(data)
        if offset is None:
            return self.adjustment.decode(data), None
        record, end = self._read(self._prefix, data, offset, ADJUSTMENT)
        return record, data[offset:end]

    def decode_classified(self, data: bytes) -> tuple[dict[str, Any], bytes | None]:
        """The ClassifiedAdjustment in ``data`` and, when written with the current schema, the
        Avro body of its Adjustment fields; otherwise ``None`` and the record read through the
        codec's full path."""
        offset = self.classified.current_body_offset(data)
        if offset is None:
            return self.classified.decode(data), None
        record, split = self._read(self._prefix, data, offset, CLASSIFIED_ADJUSTMENT)
        record.update(self._read(self._suffix, data, split, CLASSIFIED_ADJUSTMENT)[0])
        return record, data[offset:split]

    def encode_classified(
        self, adjustment_body: bytes, record: dict[str, Any], topic: str | None = None
    ) -> bytes:
        """ClassifiedAdjustment bytes: the classified codec's framing for ``topic``,
        ``adjustment_body`` as is, then the suffix fields of ``record`` (its other keys are
        ignored)."""
        if not self.classified.writes_own_schema(topic):  # use.latest.version: another schema
            adjustment = self._read(self._prefix, adjustment_body, 0, ADJUSTMENT)[0]
            return self.classified.encode({**adjustment, **record}, topic)
        try:
            suffix = self._suffix.encode(record)
        except AvroDataError as exc:
            raise CodecError(f"{CLASSIFIED_ADJUSTMENT}: cannot encode record: {exc}") from exc
        return self.classified.frame_prefix(topic) + adjustment_body + suffix

    @staticmethod
    def _read(
        codec: CompiledRecord, data: bytes, pos: int, name: str
    ) -> tuple[dict[str, Any], int]:
        try:
            return codec.decode(data, pos)
        except AvroDataError as exc:
            raise CodecError(f"{name}: corrupt Avro body: {exc}") from exc
