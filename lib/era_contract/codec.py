"""Avro encoding of events on the wire, in two framings that readers tell apart by the first byte.

* **Confluent framing** (``0x00`` + 4-byte big-endian schema id + Avro body) when a Schema
  Registry is configured. Subjects follow Confluent's conventions (:mod:`era_contract.subjects`):
  ``<topic>-value`` by default, the record name or topic + record name when configured; the id
  is registered, looked up, or taken from the subject's latest version as the policy says.
* **Avro single-object encoding** (``0xC3 0x01`` + 8-byte little-endian CRC-64-AVRO fingerprint
  of the writer schema's canonical form + Avro body) otherwise. The fingerprint is resolved
  against ``schemas/`` and ``schemas/releases/``, so no registry is needed to read it.

A reader decodes both and resolves the writer schema to the current reader schema. Records of
the current schema are written and read by :mod:`era_contract.compiled` (fastavro's bytes,
several times cheaper); fastavro does the rest (schema resolution, schemas it cannot compile).
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Sequence
from typing import Any, Protocol

import fastavro
from confluent_kafka.schema_registry import Schema

from era_contract.compiled import AvroDataError, compile_record
from era_contract.schemas import AvroSchema, SchemaCatalog, SchemaNotFoundError, default_catalog
from era_contract.subjects import RegistryPolicy

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = 0
_SINGLE_OBJECT_HEADER = len(SINGLE_OBJECT_MAGIC) + 8
_CONFLUENT_HEADER = 5


class CodecError(ValueError):
    """A record could not be encoded or decoded; the message says why."""


class SchemaRegistry(Protocol):
    """The part of ``confluent_kafka.schema_registry.SchemaRegistryClient`` the codec uses."""

    def register_schema(self, subject_name: str, schema: Any) -> int: ...

    def lookup_schema(self, subject_name: str, schema: Any) -> Any: ...

    def get_latest_version(self, subject_name: str) -> Any: ...

    def get_schema(self, schema_id: int) -> Any: ...


class AvroCodec:
    """Encodes records of one schema and decodes any known schema into it.

    ``registry`` switches encoding to the Confluent framing; decoding accepts both framings
    whatever it is (a Confluent-framed record needs a registry to be read). ``policy`` names the
    subjects and says how the schema id is obtained (default: ``<topic>-value``,
    auto-registered). ``topics`` are the topics that carry this schema: when exactly one,
    :meth:`encode` needs no ``topic`` argument under a topic-based subject strategy.
    """

    def __init__(
        self,
        schema_name: str,
        *,
        catalog: SchemaCatalog | None = None,
        registry: SchemaRegistry | None = None,
        policy: RegistryPolicy | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        self.catalog = catalog or default_catalog()
        self.schema: AvroSchema = self.catalog.get(schema_name)
        self.registry = registry
        self.policy = policy or RegistryPolicy()
        self.topics = tuple(topics)
        self._prefix = SINGLE_OBJECT_MAGIC + self.schema.fingerprint_bytes
        self._by_subject: dict[str, tuple[bytes, Any]] = {}
        self._by_registry_id: dict[int, Any] = {}
        self._compiled = compile_record(self.schema.parsed)

    @property
    def name(self) -> str:
        """Full name of the schema this codec writes."""
        return self.schema.name

    def subject(self, topic: str | None = None) -> str:
        """The registry subject this codec writes ``topic``'s values under."""
        if topic is None and self.policy.subject_name_strategy.needs_topic:
            if len(self.topics) != 1:
                carried = ", ".join(self.topics) or "no topic known to the codec"
                raise CodecError(
                    f"{self.schema.name}: the {self.policy.subject_name_strategy.value} subject"
                    f" name strategy needs the topic to encode for ({carried})"
                )
            topic = self.topics[0]
        return self.policy.subject(self.schema.name, topic)

    def frame_prefix(self, topic: str | None = None) -> bytes:
        """The bytes :meth:`encode` writes before the Avro body for ``topic`` (with a registry,
        the subject's schema id is obtained once per subject)."""
        if self.registry is None:
            return self._prefix
        return self._registry_writer_for(topic)[0]

    def writes_own_schema(self, topic: str | None = None) -> bool:
        """Whether records for ``topic`` are written with this codec's schema (not so only
        when ``use.latest.version`` finds another version of the record in the registry)."""
        return self.registry is None or self._registry_writer_for(topic)[1] is None

    def encode(self, record: dict[str, Any], topic: str | None = None) -> bytes:
        """Serialize ``record`` with the framing configured for this codec; ``topic`` (where
        the record goes) names the registry subject under topic-based strategies."""
        prefix, writer = (
            (self._prefix, None) if self.registry is None else self._registry_writer_for(topic)
        )
        if writer is None and self._compiled is not None:
            try:
                return prefix + self._compiled.encode(record)
            except AvroDataError as exc:
                raise CodecError(f"{self.schema.name}: cannot encode record: {exc}") from exc
        buffer = io.BytesIO()
        buffer.write(prefix)
        try:
            fastavro.schemaless_writer(buffer, writer or self.schema.parsed, record)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CodecError(f"{self.schema.name}: cannot encode record: {exc}") from exc
        return buffer.getvalue()

    def _registry_writer_for(self, topic: str | None) -> tuple[bytes, Any]:
        """(Confluent prefix, writer schema or ``None`` for this codec's own schema)."""
        subject = self.subject(topic)
        cached = self._by_subject.get(subject)
        if cached is None:
            cached = self._by_subject[subject] = self._resolve_subject(subject)
        return cached

    def _resolve_subject(self, subject: str) -> tuple[bytes, Any]:
        assert self.registry is not None
        # the whole definition (docs and era.type properties kept), as Confluent's serializers
        # register it; a lookup also tries the canonical form earlier releases registered
        schema = Schema(json.dumps(self.schema.definition), "AVRO")
        writer: Any = None
        try:
            if self.policy.use_latest_version:
                latest = self.registry.get_latest_version(subject)
                schema_id = int(latest.schema_id)
                writer = self._latest_writer(subject, latest.schema.schema_str)
            elif self.policy.auto_register_schemas:
                schema_id = int(self.registry.register_schema(subject, schema))
            else:
                schema_id = self._lookup(subject, schema)
        except CodecError:
            raise
        except Exception as exc:  # the registry client raises its own error types
            raise CodecError(self._registry_failure(subject, exc)) from exc
        return struct.pack(">bI", CONFLUENT_MAGIC, schema_id), writer

    def _lookup(self, subject: str, schema: Schema) -> int:
        assert self.registry is not None
        try:
            return int(self.registry.lookup_schema(subject, schema).schema_id)
        except Exception:  # not found in this form: try the canonical one
            canonical = Schema(self.schema.canonical_form, "AVRO")
            return int(self.registry.lookup_schema(subject, canonical).schema_id)

    def _latest_writer(self, subject: str, schema_str: str) -> Any:
        parsed = fastavro.parse_schema(json.loads(schema_str))
        if fastavro.schema.to_parsing_canonical_form(parsed) == self.schema.canonical_form:
            return None
        name = parsed.get("name") if isinstance(parsed, dict) else None
        if name != self.schema.name:
            raise CodecError(
                f"the latest version of subject {subject!r} is a {name}, not a {self.schema.name}"
                " (use.latest.version is on)"
            )
        return parsed

    def _registry_failure(self, subject: str, exc: Exception) -> str:
        if self.policy.use_latest_version:
            return (
                f"{self.schema.name}: cannot get the latest version of subject {subject!r}"
                f" (use.latest.version is on): {exc}"
            )
        if self.policy.auto_register_schemas:
            return (
                f"{self.schema.name}: cannot register the schema under subject {subject!r}: {exc}"
            )
        return (
            f"{self.schema.name}: the schema is not registered under subject {subject!r} and"
            " auto-registration is off (SCHEMA_REGISTRY_AUTO_REGISTER_SCHEMAS=false): register"
            f" schemas/*.avsc under that subject first ({exc})"
        )

    def decode(self, data: bytes) -> dict[str, Any]:
        """Deserialize ``data`` in either framing into a record of this codec's schema."""
        if data[:2] == SINGLE_OBJECT_MAGIC:
            writer = self._single_object_writer(data)
            offset = _SINGLE_OBJECT_HEADER
        elif data[:1] == b"\x00" and len(data) >= _CONFLUENT_HEADER:
            writer = self._registry_writer(struct.unpack(">I", data[1:5])[0])
            offset = _CONFLUENT_HEADER
        else:
            head = data[:4].hex() or "empty"
            raise CodecError(
                f"not an Avro record: expected 0xC301 (single-object) or 0x00 (Confluent)"
                f" framing, found {head}"
            )
        if writer is self.schema.parsed and self._compiled is not None:
            try:
                return self._compiled.decode(data, offset)[0]
            except AvroDataError as exc:
                raise CodecError(f"{self.schema.name}: corrupt Avro body: {exc}") from exc
        reader = None if writer is self.schema.parsed else self.schema.parsed
        try:
            record = fastavro.schemaless_reader(io.BytesIO(data[offset:]), writer, reader)
        except Exception as exc:  # fastavro raises many types for corrupt bodies
            raise CodecError(f"{self.schema.name}: corrupt Avro body: {exc!r}") from exc
        if not isinstance(record, dict):
            raise CodecError(f"{self.schema.name}: decoded value is not a record")
        return record

    def current_body_offset(self, data: bytes) -> int | None:
        """Where the Avro body of ``data`` starts when its writer schema is exactly this codec's
        schema, so the body bytes are this schema's encoding; ``None`` for any other writer
        schema and for bytes :meth:`decode` would refuse (it says why)."""
        if data[:2] == SINGLE_OBJECT_MAGIC:
            same = data[2:_SINGLE_OBJECT_HEADER] == self._prefix[2:]
            return _SINGLE_OBJECT_HEADER if same else None
        if data[:1] != b"\x00" or len(data) < _CONFLUENT_HEADER:
            return None
        try:
            writer = self._registry_writer(int.from_bytes(data[1:_CONFLUENT_HEADER], "big"))
        except CodecError:
            return None
        return _CONFLUENT_HEADER if writer is self.schema.parsed else None

    def _single_object_writer(self, data: bytes) -> Any:
        if len(data) < _SINGLE_OBJECT_HEADER:
            raise CodecError("truncated single-object header")
        fingerprint = int.from_bytes(data[2:_SINGLE_OBJECT_HEADER], "little")
        if fingerprint == self.schema.fingerprint:
            return self.schema.parsed
        try:
            writer = self.catalog.writer_schema(fingerprint)
        except SchemaNotFoundError as exc:
            raise CodecError(str(exc)) from exc
        if writer.name != self.schema.name:
            raise CodecError(f"record is a {writer.name}, expected a {self.schema.name}")
        return writer.parsed

    def _registry_writer(self, schema_id: int) -> Any:
        cached = self._by_registry_id.get(schema_id)
        if cached is not None:
            return cached
        if self.registry is None:
            raise CodecError(
                f"record is Confluent-framed (schema id {schema_id}) but no schema registry"
                " is configured (SCHEMA_REGISTRY_URL)"
            )
        try:
            found = self.registry.get_schema(schema_id)
        except Exception as exc:  # the registry client raises its own error types
            raise CodecError(f"schema id {schema_id} not found in the registry: {exc}") from exc
        parsed = fastavro.parse_schema(json.loads(found.schema_str))
        if fastavro.schema.to_parsing_canonical_form(parsed) == self.schema.canonical_form:
            parsed = self.schema.parsed  # the current schema: read without schema resolution
        self._by_registry_id[schema_id] = parsed
        return parsed
