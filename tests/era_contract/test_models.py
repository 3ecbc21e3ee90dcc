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


@pytest.mark.parametrize("schema_name", sorted(MODEL_BY_SCHEMA))
def test_model_matches_schema(schema_name: str) -> None:
    model = MODEL_BY_SCHEMA[schema_name]
    schema = default_catalog().get(schema_name).definition
    avro_fields = schema["fields"]
    assert list(model.model_fields) == [f["name"] for f in avro_fields], "field names or order"
    for field in avro_fields:
        info = model.model_fields[field["name"]]
        nullable, base = _avro_kind(info.annotation)
        avro_type = field["type"]
        if isinstance(avro_type, dict):
            assert avro_type["type"] == "array" and avro_type["items"] == "string"
            assert get_origin(base) is list and get_args(base) == (str,), field["name"]
            assert not info.is_required() and field["default"] == [], field["name"]
            continue
        if isinstance(avro_type, list):
            assert avro_type[0] == "null" and nullable, f"{field['name']} should be optional"
            assert field["default"] is None and info.default is None, field["name"]
            avro_type = avro_type[1]
        else:
            assert not nullable and info.is_required(), f"{field['name']} should be required"
        expected = AVRO_FOR_PYTHON[base]
        assert avro_type in (expected if isinstance(expected, tuple) else (expected,)), (
            f"{schema_name}.{field['name']}: model {base} vs avro {avro_type}"
        )


def test_models_validate_a_real_record(make_adjustment: Any) -> None:
    from era_contract.models import Adjustment

    record = make_adjustment()
    assert Adjustment.model_validate(record).model_dump() == record
