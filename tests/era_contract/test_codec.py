"""Both wire framings, schema resolution and clear errors."""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from era_contract.codec import SINGLE_OBJECT_MAGIC, AvroCodec, CodecError
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT, default_catalog

pytestmark = pytest.mark.unit
TOPICS = ["era.adjustments"]


@pytest.fixture
def registry() -> SchemaRegistryClient:
    return SchemaRegistryClient.new_client({"url": "mock://era-tests"})


def test_single_object_round_trip(make_adjustment: Any) -> None:
    codec = AvroCodec(ADJUSTMENT)
    record = make_adjustment(amount="-1234567.891", ingested_at=1_795_000_000_000)
    data = codec.encode(record)
    assert data[:2] == SINGLE_OBJECT_MAGIC
    assert data[2:10] == default_catalog().get(ADJUSTMENT).fingerprint_bytes
    assert codec.decode(data) == record


def test_confluent_framing_round_trip(make_adjustment: Any, registry: Any) -> None:
    codec = AvroCodec(ADJUSTMENT, registry=registry, topics=TOPICS)
    record = make_adjustment()
    data = codec.encode(record)
    magic, schema_id = struct.unpack(">bI", data[:5])
    assert magic == 0
    assert json.loads(registry.get_schema(schema_id).schema_str) == codec.schema.definition
    assert codec.decode(data) == record


def test_readers_accept_both_framings(make_adjustment: Any, registry: Any) -> None:
    record = make_adjustment()
    plain, with_registry = (
        AvroCodec(ADJUSTMENT),
        AvroCodec(ADJUSTMENT, registry=registry, topics=TOPICS),
    )
    assert with_registry.decode(plain.encode(record)) == record
    confluent_bytes = with_registry.encode(record)
    assert AvroCodec(ADJUSTMENT, registry=registry, topics=TOPICS).decode(confluent_bytes) == record
    with pytest.raises(CodecError, match="no schema registry is configured"):
        plain.decode(confluent_bytes)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "found empty"),
        (b'{"json": true}', "not an Avro record"),
        (SINGLE_OBJECT_MAGIC + b"\x01\x02", "truncated"),
        (SINGLE_OBJECT_MAGIC + b"\xff" * 8 + b"\x00", "no known schema"),
    ],
)
def test_garbage_is_a_codec_error(data: bytes, message: str) -> None:
    with pytest.raises(CodecError, match=message):
        AvroCodec(ADJUSTMENT).decode(data)


def test_corrupt_body_is_a_codec_error(make_adjustment: Any) -> None:
    data = AvroCodec(ADJUSTMENT).encode(make_adjustment())
    with pytest.raises(CodecError, match="corrupt Avro body"):
        AvroCodec(ADJUSTMENT).decode(data[:20])


def test_a_record_of_another_schema_is_refused(make_adjustment: Any) -> None:
    data = AvroCodec(ADJUSTMENT).encode(make_adjustment())
    with pytest.raises(CodecError, match=r"expected a era\.events\.ClassifiedAdjustment"):
        AvroCodec(CLASSIFIED_ADJUSTMENT).decode(data)


def test_encoding_an_invalid_record_names_the_schema(make_adjustment: Any) -> None:
    record = make_adjustment()
    del record["carc"]
    with pytest.raises(CodecError, match=r"era\.events\.Adjustment"):
        AvroCodec(ADJUSTMENT).encode(record)


def test_the_body_offset_is_known_only_for_the_current_writer_schema(
    make_adjustment: Any, registry: Any
) -> None:
    record = make_adjustment()
    plain, with_registry = (
        AvroCodec(ADJUSTMENT),
        AvroCodec(ADJUSTMENT, registry=registry, topics=TOPICS),
    )
    assert plain.current_body_offset(plain.encode(record)) == 10
    assert with_registry.current_body_offset(with_registry.encode(record)) == 5
    assert plain.current_body_offset(with_registry.encode(record)) is None  # no registry
    other_id = AvroCodec(CLASSIFIED_ADJUSTMENT, registry=registry).frame_prefix("era.route.review")
    assert with_registry.current_body_offset(other_id + b"\x00") is None
    for garbage in (b"", b"\x00\x01", b"{}", SINGLE_OBJECT_MAGIC + b"\x01" * 8):
        assert plain.current_body_offset(garbage) is None


def test_current_records_are_fastavros_bytes(make_adjustment: Any) -> None:
    """Records of the current schema take the compiled codec: same bytes as fastavro."""
    codec = AvroCodec(ADJUSTMENT)
    record = make_adjustment(rarcs=["N130", "M15"], modifiers=["26"], ingested_at=-1)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, codec.schema.parsed, record)
    assert codec.encode(record) == SINGLE_OBJECT_MAGIC + codec.schema.fingerprint_bytes + (
        buffer.getvalue()
    )
    assert codec.decode(codec.encode(record)) == record
