"""faust support for the era topics: a codec per event schema and a faust ``Record`` model per
event, so a downstream faust app consumes the topics natively::

    import faust
    from era_contract.faust_codec import models

    app = faust.App("posting", broker="kafka://...", processing_guarantee="exactly_once")
    appeals = app.topic("era.route.appeals", value_type=models().ClassifiedAdjustment)

    @app.agent(appeals)
    async def post(events):
        async for event in events:  # a ClassifiedAdjustment model
            ...

Importing this module registers one faust codec per schema in ``schemas/``, named by the
schema's full name (``era.events.Adjustment``, ``era.events.ClassifiedAdjustment``, ...), with
faust's codec registry (:func:`faust.serializers.codecs.register`). Each decodes both framings
(single-object by fingerprint from ``schemas/``, Confluent when it has a registry) and resolves
older writer schemas; it encodes in single-object encoding, or in the Confluent framing when
:func:`register_codecs` is given a registry. The models carry that codec as their serializer.
``processing_guarantee="exactly_once"`` is what makes faust's consumers read
``read_committed`` (the pipeline's producers are transactional).
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import faust
from faust.serializers import codecs

from era_contract.codec import AvroCodec, SchemaRegistry
from era_contract.schemas import AvroSchema, SchemaCatalog, default_catalog
from era_contract.subjects import RegistryPolicy

_PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "int": int,
    "long": int,
    "boolean": bool,
    "float": float,
    "double": float,
    "bytes": bytes,
}


class EraAvroCodec(codecs.Codec):
    """A faust codec for one era event schema (values only; keys are UTF-8 text)."""

    def __init__(self, schema_name: str, avro: AvroCodec | None = None, **kwargs: Any) -> None:
        super().__init__(schema_name=schema_name, **kwargs)
        self.avro = avro or AvroCodec(schema_name)

    def _loads(self, s: bytes) -> Any:
        return self.avro.decode(s)

    def _dumps(self, obj: Any) -> bytes:
        record = {key: value for key, value in dict(obj).items() if key != "__faust"}
        return self.avro.encode(record)


def register_codecs(
    *,
    catalog: SchemaCatalog | None = None,
    registry: SchemaRegistry | None = None,
    policy: RegistryPolicy | None = None,
    topics: dict[str, Sequence[str]] | None = None,
) -> list[str]:
    """Register (or replace) one codec per current schema with faust; returns their names.

    With ``registry``, records are encoded in the Confluent framing; under a topic-based
    subject strategy, ``topics`` (schema name → the topics it is written to) must name exactly
    one topic per schema that is encoded (a faust codec does not know the topic it writes to).
    """
    catalog = catalog or default_catalog()
    names = []
    for name in catalog.current:
        avro = AvroCodec(
            name,
            catalog=catalog,
            registry=registry,
            policy=policy,
            topics=(topics or {}).get(name, ()),
        )
        codecs.register(name, EraAvroCodec(name, avro))
        names.append(name)
    return names


def _python_type(avro_type: Any) -> Any:
    if isinstance(avro_type, str):
        return _PYTHON_TYPES.get(avro_type, Any)
    if isinstance(avro_type, list):
        branches = [_python_type(branch) for branch in avro_type if branch != "null"]
        inner = branches[0] if len(branches) == 1 else Any
        return inner | None if "null" in avro_type and inner is not Any else inner
    if isinstance(avro_type, dict) and avro_type.get("type") == "array":
        return list[_python_type(avro_type["items"])]  # type: ignore[misc]
    return Any  # nested records, maps, enums: as fastavro reads them


def record_model(schema: AvroSchema) -> type[faust.Record]:
    """A faust ``Record`` with the fields of ``schema`` (fields without an Avro default first,
    as faust requires), serialized by the codec named after the schema. Array defaults are
    copied per instance."""
    fields = schema.definition["fields"]
    ordered = [f for f in fields if "default" not in f] + [f for f in fields if "default" in f]
    defaults = {f["name"]: f["default"] for f in fields if "default" in f}
    shared_lists = {name: value for name, value in defaults.items() if isinstance(value, list)}

    def __post_init__(self: Any) -> None:  # noqa: N807 (faust's hook)
        for name, shared in shared_lists.items():
            if getattr(self, name) is shared:
                setattr(self, name, list(shared))

    def body(namespace: dict[str, Any]) -> None:
        namespace["__annotations__"] = {f["name"]: _python_type(f["type"]) for f in ordered}
        namespace.update(defaults)
        namespace["__post_init__"] = __post_init__
        namespace["__doc__"] = f"The {schema.name} event as a faust Record (schemas/)."

    options = {"serializer": schema.name, "include_metadata": False, "namespace": schema.name}
    model: type[faust.Record] = types.new_class(
        schema.name.rsplit(".", 1)[-1], (faust.Record,), options, body
    )
    return model


@dataclass(frozen=True)
class EraModels:
    """The faust models of the current schemas, as attributes named after the records
    (``Adjustment``, ``ClassifiedAdjustment``, ``DeadLetter``, ...)."""

    by_name: dict[str, type[faust.Record]]

    def __getattr__(self, short_name: str) -> type[faust.Record]:
        for name, model in self.by_name.items():
            if name.rsplit(".", 1)[-1] == short_name:
                return model
        raise AttributeError(short_name)

    def for_schema(self, schema_name: str) -> type[faust.Record]:
        """The model of the schema named ``schema_name`` (e.g. ``era.events.Adjustment``)."""
        return self.by_name[schema_name]


@cache
def models() -> EraModels:
    """The models of the project's current schemas (built once)."""
    catalog = default_catalog()
    return EraModels({name: record_model(schema) for name, schema in catalog.current.items()})


register_codecs()
