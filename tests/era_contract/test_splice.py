"""ClassifiedAdjustment bytes spliced from Adjustment bytes: the schema invariant it rests on,
byte-identical output against whole-record encoding, and the fall-back for other writers."""

from __future__ import annotations

import io
import json
import shutil
import struct
from pathlib import Path
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from hypothesis import given, settings
from hypothesis import strategies as st

from era_contract.codec import AvroCodec, CodecError
from era_contract.schemas import (
    ADJUSTMENT,
    CLASSIFIED_ADJUSTMENT,
    SchemaCatalog,
    default_catalog,
    load_catalog,
    schemas_dir,
)
from era_contract.splice import AdjustmentSplice, adjustment_prefix_matches

pytestmark = pytest.mark.unit

CATALOG = default_catalog()
ADJUSTMENT_CODEC = AvroCodec(ADJUSTMENT)
CLASSIFIED_CODEC = AvroCodec(CLASSIFIED_ADJUSTMENT)
SPLICE = AdjustmentSplice.for_codecs(ADJUSTMENT_CODEC, CLASSIFIED_CODEC)


def splice_of(adjustment: AvroCodec, classified: AvroCodec) -> AdjustmentSplice:
    splice = AdjustmentSplice.for_codecs(adjustment, classified)
    assert splice is not None
    return splice


@pytest.fixture
def registry() -> SchemaRegistryClient:
    return SchemaRegistryClient.new_client({"url": "mock://era-splice-tests"})


def classification(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "category": "contractual",
        "action": "writeoff",
        "route": "writeoff",
        "appealable": "no",
        "who_pays": "provider",
        "patient_billable": False,
        "upstream_cause": "contract",
        "rule_id": "table",
        "explanation": "Charge exceeds the fee schedule.",
        "carc_description": "Charge exceeds fee schedule/maximum allowable.",
        "rarc_descriptions": ["one", "two"],
        "flags": [],
        "expected_amount": None,
        "kb_version": "2026-01",
        "rules_version": "1",
        "classified_at": 1_795_000_000_100,
        "appeal_deadline": None,
        "follow_up_by": None,
        "routed_at": None,
        "claim_reading": "processed",
        "forwarded_by": [],
        "reverses_event_id": None,
        "reverses_claim_event_id": None,
        "corrects_claim_event_id": None,
        "matched_claim_id": None,
        "matched_claim_event_id": None,
    }
    fields.update(overrides)
    return fields


def test_classified_adjustment_starts_with_exactly_the_adjustment_fields() -> None:
    adjustment = CATALOG.get(ADJUSTMENT).definition["fields"]
    classified = CATALOG.get(CLASSIFIED_ADJUSTMENT).definition["fields"]
    head = [(f["name"], f["type"]) for f in classified[: len(adjustment)]]
    assert head == [(f["name"], f["type"]) for f in adjustment]
    assert SPLICE is not None
    assert SPLICE.suffix_fields == tuple(f["name"] for f in classified[len(adjustment) :])
    assert SPLICE.suffix_fields[0] == "category"
    assert SPLICE.suffix_fields[-11:] == (
        "classified_at",
        "appeal_deadline",
        "follow_up_by",
        "routed_at",
        "claim_reading",
        "forwarded_by",
        "reverses_event_id",
        "reverses_claim_event_id",
        "corrects_claim_event_id",
        "matched_claim_id",
        "matched_claim_event_id",
    )


def test_schemas_that_do_not_line_up_have_no_splice() -> None:
    adjustment = CATALOG.get(ADJUSTMENT).definition
    classified = json.loads(json.dumps(CATALOG.get(CLASSIFIED_ADJUSTMENT).definition))
    fields = classified["fields"]
    fields[0], fields[1] = fields[1], fields[0]
    assert not adjustment_prefix_matches(adjustment, classified)
    fields[0], fields[1] = fields[1], fields[0]
    fields[6] = {**fields[6], "type": "long"}
    assert not adjustment_prefix_matches(adjustment, classified)
    assert not adjustment_prefix_matches(adjustment, adjustment)
    assert AdjustmentSplice.for_codecs(CLASSIFIED_CODEC, ADJUSTMENT_CODEC) is None


def test_a_catalog_whose_classified_schema_does_not_line_up_has_no_splice(tmp_path: Path) -> None:
    root = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), root)
    path = root / "classified_adjustment.avsc"
    definition = json.loads(path.read_text(encoding="utf-8"))
    definition["fields"].insert(0, definition["fields"].pop())  # routed_at first
    path.write_text(json.dumps(definition), encoding="utf-8")
    codec = AvroCodec(CLASSIFIED_ADJUSTMENT, catalog=load_catalog(root))
    assert AdjustmentSplice.for_classified(codec) is None


def test_reading_an_adjustment_keeps_exactly_its_body(make_adjustment: Any) -> None:
    assert SPLICE is not None
    record = make_adjustment(ingested_at=1)
    data = ADJUSTMENT_CODEC.encode(record)
    # bytes after the record are not part of it: they must not end up in the output
    read, body = SPLICE.decode_adjustment(data + b"\x02junk")
    assert read == record
    assert body == data[10:]


def test_the_reader_consumes_exactly_the_prefix_fields(make_adjustment: Any) -> None:
    """fastavro's schemaless_reader leaves the stream right after the record it read."""
    assert SPLICE is not None
    adjustment = make_adjustment(rarcs=["N1", "M2"], modifiers=["26"], ingested_at=7)
    data = CLASSIFIED_CODEC.encode({**adjustment, **classification()})
    record, body = SPLICE.decode_classified(data)
    assert body == ADJUSTMENT_CODEC.encode(adjustment)[10:]
    assert record == CLASSIFIED_CODEC.decode(data)


def test_a_classified_record_is_spliced_byte_for_byte(make_adjustment: Any) -> None:
    assert SPLICE is not None
    adjustment = make_adjustment(ingested_at=3)
    _, body = SPLICE.decode_adjustment(ADJUSTMENT_CODEC.encode(adjustment))
    assert body is not None
    fields = classification(flags=["unknown_code"], expected_amount="12.50")
    spliced = SPLICE.encode_classified(body, fields)
    assert spliced == CLASSIFIED_CODEC.encode({**adjustment, **fields})
    # keys other than the suffix fields are ignored
    assert SPLICE.encode_classified(body, {**adjustment, **fields}) == spliced


def test_encoding_an_incomplete_suffix_is_a_codec_error(make_adjustment: Any) -> None:
    assert SPLICE is not None
    fields = classification()
    del fields["category"]
    with pytest.raises(CodecError, match=r"era\.events\.ClassifiedAdjustment"):
        SPLICE.encode_classified(b"", fields)


@pytest.mark.parametrize("cut", [12, 60, -3])
def test_a_corrupt_body_is_a_codec_error(make_adjustment: Any, cut: int) -> None:
    assert SPLICE is not None
    data = CLASSIFIED_CODEC.encode({**make_adjustment(), **classification()})
    with pytest.raises(CodecError, match="corrupt Avro body"):
        SPLICE.decode_classified(data[:cut])
    with pytest.raises(CodecError, match="corrupt Avro body"):
        SPLICE.decode_adjustment(ADJUSTMENT_CODEC.encode(make_adjustment())[:cut])


def test_whether_fields_keep_the_adjustment() -> None:
    assert SPLICE is not None
    assert SPLICE.keeps_adjustment(classification())
    assert not SPLICE.keeps_adjustment({**classification(), "carc": "45"})


_text = st.text(max_size=12)
_maybe_text = st.none() | _text
_money = st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)
_long = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@st.composite
def adjustments(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for field in CATALOG.get(ADJUSTMENT).definition["fields"]:
        kind = field["type"]
        if kind == "string":
            value: Any = draw(_text)
        elif kind == "int":
            value = draw(st.integers(min_value=-(2**31), max_value=2**31 - 1))
        elif kind == "boolean":
            value = draw(st.booleans())
        elif kind == ["null", "string"]:
            value = draw(_money if field.get("era.type") == "decimal" else _maybe_text)
        elif kind == ["null", "int"]:
            value = draw(st.none() | st.integers(min_value=0, max_value=2**31 - 1))
        elif kind == ["null", "long"]:
            value = draw(st.none() | _long)
        else:
            assert kind == {"type": "array", "items": "string"}, kind
            value = draw(st.lists(_text, max_size=3))
        record[field["name"]] = value
    return record


@st.composite
def classifications(draw: st.DrawFn) -> dict[str, Any]:
    fields = classification()
    for name in ("category", "route", "explanation", "kb_version"):
        fields[name] = draw(_text)
    fields["patient_billable"] = draw(st.booleans())
    fields["upstream_cause"] = draw(_maybe_text)
    fields["flags"] = draw(st.lists(_text, max_size=3))
    fields["rarc_descriptions"] = draw(st.lists(_text, max_size=3))
    fields["expected_amount"] = draw(_money)
    for name in ("classified_at", "routed_at"):
        fields[name] = draw(st.none() | _long)
    fields["appeal_deadline"] = draw(_maybe_text)
    return fields


def _round_trip(
    adjustments_codec: AvroCodec,
    classified_codec: AvroCodec,
    adjustment: dict[str, Any],
    fields: dict[str, Any],
) -> None:
    splice = splice_of(adjustments_codec, classified_codec)
    read, body = splice.decode_adjustment(adjustments_codec.encode(adjustment))
    assert read == adjustment and body is not None
    spliced = splice.encode_classified(body, fields)
    whole = classified_codec.encode({**adjustment, **fields})
    assert spliced == whole
    record, prefix = splice.decode_classified(spliced)
    assert record == classified_codec.decode(whole) == {**adjustment, **fields}
    assert prefix == body


@settings(max_examples=200, deadline=None)
@given(adjustment=adjustments(), fields=classifications())
def test_single_object_splice_equals_whole_records(
    adjustment: dict[str, Any], fields: dict[str, Any]
) -> None:
    _round_trip(ADJUSTMENT_CODEC, CLASSIFIED_CODEC, adjustment, fields)


@settings(max_examples=100, deadline=None)
@given(adjustment=adjustments(), fields=classifications())
def test_confluent_splice_equals_whole_records(
    adjustment: dict[str, Any], fields: dict[str, Any]
) -> None:
    registry = SchemaRegistryClient.new_client({"url": "mock://era-splice-hypothesis"})
    adjustments_codec = AvroCodec(ADJUSTMENT, registry=registry, topics=["era.adjustments"])
    classified_codec = AvroCodec(
        CLASSIFIED_ADJUSTMENT, registry=registry, topics=["era.adjustments.classified"]
    )
    _round_trip(adjustments_codec, classified_codec, adjustment, fields)
    assert classified_codec.encode({**adjustment, **fields})[:1] == b"\x00"


def test_the_current_schema_under_another_registry_id_is_spliced(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    """The registry may hold the current schema in another text form (docs, spacing)."""
    text = json.dumps(CATALOG.get(ADJUSTMENT).definition, indent=2)
    schema_id = registry.register_schema("other-subject", Schema(text, "AVRO"))
    adjustment = make_adjustment()
    data = struct.pack(">bI", 0, schema_id) + ADJUSTMENT_CODEC.encode(adjustment)[10:]
    splice = splice_of(
        AvroCodec(ADJUSTMENT, registry=registry, topics=["era.adjustments"]), CLASSIFIED_CODEC
    )
    read, body = splice.decode_adjustment(data)
    assert read == adjustment and body == data[5:]


def _catalog_with_an_older_adjustment(tmp_path: Path) -> tuple[SchemaCatalog, dict[str, Any]]:
    """The project's schemas plus a release whose Adjustment has no ``ingested_at`` yet."""
    root = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), root)
    older = json.loads((root / "adjustment.avsc").read_text(encoding="utf-8"))
    older["fields"] = [f for f in older["fields"] if f["name"] != "ingested_at"]
    (root / "releases" / "0.0.1").mkdir(parents=True)
    (root / "releases" / "0.0.1" / "adjustment.avsc").write_text(json.dumps(older), "utf-8")
    return load_catalog(root), older


def test_an_older_writer_schema_falls_back_to_the_full_path(
    tmp_path: Path, make_adjustment: Any
) -> None:
    catalog, older = _catalog_with_an_older_adjustment(tmp_path)
    old_schema = catalog.releases["0.0.1"][ADJUSTMENT]
    adjustment = make_adjustment(ingested_at=None)
    del adjustment["ingested_at"]
    buffer = io.BytesIO()
    buffer.write(b"\xc3\x01" + old_schema.fingerprint_bytes)
    fastavro.schemaless_writer(buffer, old_schema.parsed, adjustment)
    codec = AvroCodec(ADJUSTMENT, catalog=catalog)
    splice = splice_of(codec, AvroCodec(CLASSIFIED_ADJUSTMENT, catalog=catalog))
    read, body = splice.decode_adjustment(buffer.getvalue())
    assert body is None
    assert read == codec.decode(buffer.getvalue()) == {**adjustment, "ingested_at": None}
    assert older["name"] == "Adjustment"


def test_another_registry_schema_falls_back_to_the_full_path(
    tmp_path: Path, registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    catalog, older = _catalog_with_an_older_adjustment(tmp_path)
    schema_id = registry.register_schema(ADJUSTMENT, Schema(json.dumps(older), "AVRO"))
    adjustment = make_adjustment()
    del adjustment["ingested_at"]
    buffer = io.BytesIO()
    buffer.write(struct.pack(">bI", 0, schema_id))
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(older), adjustment)
    codec = AvroCodec(ADJUSTMENT, catalog=catalog, registry=registry)
    splice = splice_of(codec, AvroCodec(CLASSIFIED_ADJUSTMENT, catalog=catalog))
    for _ in range(2):  # the second time from the codec's cache of registry ids
        read, body = splice.decode_adjustment(buffer.getvalue())
        assert body is None and read == {**adjustment, "ingested_at": None}


def test_a_release_schema_is_read_alike_on_both_paths(make_adjustment: Any) -> None:
    """Records of schemas/releases/0.1.0 decode the same whichever path the splice takes."""
    assert SPLICE is not None
    for version, schemas in CATALOG.releases.items():
        released = schemas[ADJUSTMENT]
        adjustment = make_adjustment()
        buffer = io.BytesIO()
        buffer.write(b"\xc3\x01" + released.fingerprint_bytes)
        fastavro.schemaless_writer(buffer, released.parsed, adjustment)
        data = buffer.getvalue()
        read, body = SPLICE.decode_adjustment(data)
        assert read == ADJUSTMENT_CODEC.decode(data), version
        same = released.canonical_form == CATALOG.get(ADJUSTMENT).canonical_form
        assert (body is not None) == same, version


def test_garbage_framing_is_left_to_the_codec() -> None:
    assert SPLICE is not None
    for data in (b"", b"\x00\x01", b'{"json": true}', b"\xc3\x01" + b"\xff" * 8 + b"\x00"):
        assert ADJUSTMENT_CODEC.current_body_offset(data) is None
        with pytest.raises(CodecError):
            SPLICE.decode_adjustment(data)
    confluent = b"\x00\x00\x00\x00\x07body"
    assert ADJUSTMENT_CODEC.current_body_offset(confluent) is None
    with pytest.raises(CodecError, match="no schema registry"):
        SPLICE.decode_classified(confluent)
