"""The pydantic models and the .avsc files cannot drift apart."""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

import pytest

from era_contract.models import MODEL_BY_SCHEMA
from era_contract.schemas import default_catalog

pytestmark = pytest.mark.unit

AVRO_FOR_PYTHON: dict[Any, Any] = {
    str: "string",
    int: ("int", "long"),
    bool: "boolean",
    bytes: "bytes",
}


def _avro_kind(annotation: Any) -> tuple[bool, Any]:
    """(nullable, base python type) of a model annotation."""
    args = get_args(annotation)
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType):
        nullable = type(None) in args
        (annotation,) = [a for a in args if a is not type(None)]
    if get_origin(annotation) is Literal:
        annotation = type(get_args(annotation)[0])
    return nullable, annotation


def _check_fields(model: Any, avro_fields: list[dict[str, Any]], label: str) -> None:
    assert list(model.model_fields) == [f["name"] for f in avro_fields], f"{label}: names/order"
    for field in avro_fields:
        name = f"{label}.{field['name']}"
        info = model.model_fields[field["name"]]
        nullable, base = _avro_kind(info.annotation)
        avro_type = field["type"]
        if isinstance(avro_type, dict):
            assert avro_type["type"] == "array", name
            assert get_origin(base) is list, name
            assert not info.is_required() and field["default"] == [], name
            (item,) = get_args(base)
            items = avro_type["items"]
            if isinstance(items, dict):  # an array of records: the item model, field by field
                assert items["type"] == "record", name
                _check_fields(item, items["fields"], f"{label}.{items['name']}")
            else:
                assert items == "string" and item is str, name
            continue
        if isinstance(avro_type, list):
            assert avro_type[0] == "null" and nullable, f"{name} should be optional"
            assert field["default"] is None and info.default is None, name
            avro_type = avro_type[1]
        else:
            assert not nullable and info.is_required(), f"{name} should be required"
        expected = AVRO_FOR_PYTHON[base]
        assert avro_type in (expected if isinstance(expected, tuple) else (expected,)), (
            f"{name}: model {base} vs avro {avro_type}"
        )


@pytest.mark.parametrize("schema_name", sorted(MODEL_BY_SCHEMA))
def test_model_matches_schema(schema_name: str) -> None:
    schema = default_catalog().get(schema_name).definition
    _check_fields(MODEL_BY_SCHEMA[schema_name], schema["fields"], schema_name)


def test_every_current_schema_has_a_model() -> None:
    assert set(MODEL_BY_SCHEMA) == set(default_catalog().current)


def test_models_validate_a_real_record(make_adjustment: Any) -> None:
    from era_contract.models import Adjustment

    record = make_adjustment()
    assert Adjustment.model_validate(record).model_dump() == record
