"""The faust codec and models of the contract package: registered with faust's codec registry
under the schema names, both framings decoded, models that are the schemas' fields."""

from __future__ import annotations

import uuid
from typing import Any

import faust
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.serializers import codecs

from era_contract.codec import AvroCodec
from era_contract.faust_codec import EraAvroCodec, models, record_model, register_codecs
from era_contract.schemas import ADJUSTMENT, DEAD_LETTER, default_catalog

pytestmark = pytest.mark.unit


def test_a_codec_per_schema_is_registered_with_faust() -> None:
    for name in default_catalog().current:
        assert isinstance(codecs.get_codec(name), EraAvroCodec), name


def test_faust_loads_what_the_pipeline_writes(make_adjustment: Any) -> None:
    record = make_adjustment()
    data = AvroCodec(ADJUSTMENT).encode(record)
    assert codecs.loads(ADJUSTMENT, data) == record
    assert codecs.dumps(ADJUSTMENT, record) == data  # and writes what the pipeline reads


def test_models_have_the_schema_fields_and_round_trip(make_adjustment: Any) -> None:
    catalog = default_catalog()
    for name, schema in catalog.current.items():
        model = models().for_schema(name)
        assert issubclass(model, faust.Record)
        assert set(model._options.fields) == set(schema.field_names), name
    adjustment_model = models().Adjustment
    record = make_adjustment()
    event = adjustment_model.loads(AvroCodec(ADJUSTMENT).encode(record))
    assert isinstance(event, adjustment_model)
    assert event.claim_id == record["claim_id"] and event.rarcs == record["rarcs"]
    assert AvroCodec(ADJUSTMENT).decode(event.dumps()) == record


def test_list_defaults_are_not_shared() -> None:
    adjustment_model = models().Adjustment
    assert models().for_schema(DEAD_LETTER) is models().DeadLetter
    required = {
        f["name"]: "x" if f["type"] == "string" else 0
        for f in default_catalog().get(ADJUSTMENT).definition["fields"]
        if "default" not in f
    }
    first, second = adjustment_model(**required), adjustment_model(**required)
    first.rarcs.append("N130")
    assert second.rarcs == []


def test_an_unknown_short_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        models().NoSuchEvent  # noqa: B018


def test_with_a_registry_the_codec_writes_the_confluent_framing(make_adjustment: Any) -> None:
    registry = SchemaRegistryClient.new_client({"url": f"mock://faust-{uuid.uuid4().hex[:8]}"})
    try:
        register_codecs(registry=registry, topics={ADJUSTMENT: ["era.adjustments"]})
        record = make_adjustment()
        data = codecs.dumps(ADJUSTMENT, record)
        assert data[:1] == b"\x00"
        assert registry.get_subjects() == ["era.adjustments-value"]
        assert codecs.loads(ADJUSTMENT, data) == record
    finally:
        register_codecs()  # back to the registry-free codecs for the other tests
    assert codecs.dumps(ADJUSTMENT, make_adjustment())[:2] == b"\xc3\x01"


def test_record_model_of_a_nested_schema_passes_nested_values_through() -> None:
    from era_contract.schemas import AvroSchema

    definition = {
        "type": "record",
        "name": "Nested",
        "namespace": "era.test",
        "fields": [
            {"name": "id", "type": "string"},
            {
                "name": "lines",
                "type": {
                    "type": "array",
                    "items": {
                        "type": "record",
                        "name": "Line",
                        "fields": [{"name": "n", "type": "int"}],
                    },
                },
                "default": [],
            },
        ],
    }
    schema = AvroSchema("era.test.Nested", "current", definition, None, "", 0)
    model = record_model(schema)
    event = model.from_data({"id": "a", "lines": [{"n": 1}]})
    assert event.lines == [{"n": 1}] and model(id="b").lines == []
