"""The compiled Avro codec writes fastavro's bytes and reads them back, for every schema."""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from era_contract.compiled import AvroDataError, compile_record
from era_contract.schemas import (
    ADJUSTMENT,
    CLAIM,
    CLASSIFIED_ADJUSTMENT,
    DEAD_LETTER,
    REMITTANCE,
    default_catalog,
)

pytestmark = pytest.mark.unit

NAMES = (ADJUSTMENT, CLASSIFIED_ADJUSTMENT, DEAD_LETTER, CLAIM, REMITTANCE)
INT = st.integers(-(1 << 31), (1 << 31) - 1)
LONG = st.integers(-(1 << 63), (1 << 63) - 1)
TEXT = st.text(max_size=80)  # lengths over 63 need a two-byte varint
PRIMITIVE: dict[str, st.SearchStrategy[Any]] = {
    "string": TEXT,
    "bytes": st.binary(max_size=200),
    "int": INT,
    "long": LONG,
    "boolean": st.booleans(),
}


def _strategy(avro_type: Any) -> st.SearchStrategy[Any]:
    if isinstance(avro_type, str):
        return PRIMITIVE[avro_type]
    if isinstance(avro_type, list):
        return st.none() | _strategy(avro_type[1])
    items = avro_type["items"]
    if isinstance(items, dict):  # arrays of records: a Claim's lines, a Remittance's PLB items
        return st.lists(_record(items["fields"]), max_size=3)
    return st.lists(TEXT, max_size=70)  # arrays of strings, over 63 items too


def _record(fields: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({f["name"]: _strategy(f["type"]) for f in fields})


def records(name: str) -> st.SearchStrategy[dict[str, Any]]:
    return _record(default_catalog().get(name).parsed["fields"])


def _fastavro_bytes(name: str, record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, default_catalog().get(name).parsed, record)
    return out.getvalue()


@pytest.mark.parametrize("name", NAMES)
def test_every_event_schema_compiles(name: str) -> None:
    assert compile_record(default_catalog().get(name).parsed) is not None


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_bytes_are_fastavros_and_read_back(name: str, data: st.DataObject) -> None:
    record = data.draw(records(name))
    codec = compile_record(default_catalog().get(name).parsed)
    assert codec is not None
    encoded = codec.encode(record)
    assert encoded == _fastavro_bytes(name, record)
    decoded, end = codec.decode(encoded + b"tail", 0)
    assert decoded == record
    assert end == len(encoded)


def test_decode_starts_at_an_offset_and_reports_where_the_record_ends() -> None:
    codec = compile_record(default_catalog().get(DEAD_LETTER).parsed)
    assert codec is not None
    record = _minimal(DEAD_LETTER)
    record["source_partition"] = 3
    body = b"\xc3\x01" + codec.encode(record)
    decoded, end = codec.decode(body, 2)
    assert end == len(body)
    assert decoded == record


def _minimal(name: str) -> dict[str, Any]:
    """Every field: None when nullable, else a value of its type."""
    values = {"string": "value", "int": 1, "long": 1, "boolean": True}
    record: dict[str, Any] = {}
    for f in default_catalog().get(name).parsed["fields"]:
        kind = f["type"]
        if isinstance(kind, list):
            record[f["name"]] = None
        else:
            record[f["name"]] = values[kind] if isinstance(kind, str) else []
    return record


def test_missing_fields_take_the_schema_default() -> None:
    codec = compile_record(default_catalog().get(DEAD_LETTER).parsed)
    assert codec is not None
    fields = default_catalog().get(DEAD_LETTER).parsed["fields"]
    required = {f["name"]: "x" for f in fields if f["type"] == "string"}
    required.update({f["name"]: 1 for f in fields if f["type"] in ("int", "long")})
    assert codec.encode(required) == _fastavro_bytes(DEAD_LETTER, required)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", 12.5),
        ("segment_no", "7"),
        ("segment_no", 1 << 31),
        ("rarcs", "N1"),
        ("payer_id", 5),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_by_name(field: str, value: Any) -> None:
    codec = compile_record(default_catalog().get(ADJUSTMENT).parsed)
    assert codec is not None
    record = _minimal(ADJUSTMENT)
    codec.encode(record)
    record[field] = value
    with pytest.raises(AvroDataError, match=rf"Adjustment\.{field}: "):
        codec.encode(record)


def test_truncated_or_corrupt_bytes_raise_its_own_error() -> None:
    codec = compile_record(default_catalog().get(ADJUSTMENT).parsed)
    assert codec is not None
    record = {**_minimal(ADJUSTMENT), "payer_name": "value", "modifiers": ["25"]}
    data = codec.encode(record)
    for cut in (1, len(data) // 2, len(data) - 1):
        with pytest.raises(AvroDataError):
            codec.decode(data[:cut], 0)
    assert b"\x02\x0avalue" in data
    with pytest.raises(AvroDataError, match="union branch"):
        codec.decode(data.replace(b"\x02\x0avalue", b"\x06\x0avalue", 1), 0)
    with pytest.raises(AvroDataError):
        codec.decode(b"\x0a\xff\xfe\xfd\xfc\xfb", 0)  # not UTF-8


def test_a_line_that_is_not_a_record_is_refused_by_name() -> None:
    codec = compile_record(default_catalog().get(CLAIM).parsed)
    assert codec is not None
    record = _minimal(CLAIM)
    codec.encode(record)
    with pytest.raises(AvroDataError, match=r"Claim\.lines: "):
        codec.encode({**record, "lines": ["not a line"]})
    with pytest.raises(AvroDataError, match=r"ClaimLine\.charge: "):
        line = {"line": 1, "segment_no": 9, "procedure": "AD:D0120", "charge": 5}
        codec.encode({**record, "lines": [line]})


def test_other_shapes_are_left_to_fastavro() -> None:
    nested = {
        "type": "record",
        "name": "Outer",
        "fields": [{"name": "inner", "type": {"type": "map", "values": "string"}}],
    }
    assert compile_record(fastavro.parse_schema(nested)) is None
    assert compile_record({"type": "enum", "name": "E", "symbols": ["A"]}) is None
