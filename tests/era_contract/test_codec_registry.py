"""The codec with a Schema Registry: Confluent's subject names, auto-registration off (look up,
fail clearly) and use.latest.version, against confluent-kafka's in-memory ``mock://`` registry
(the same client API as a real registry; no registry server runs on the development machines)."""

from __future__ import annotations

import json
import struct
import uuid
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from era_contract.codec import AvroCodec, CodecError
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT, default_catalog
from era_contract.subjects import RegistryPolicy, SubjectNameStrategy
from era_kafka.clients import Codecs
from era_kafka.config import SchemaRegistrySettings

pytestmark = pytest.mark.unit


@pytest.fixture
def registry() -> SchemaRegistryClient:
    return SchemaRegistryClient.new_client({"url": f"mock://era-{uuid.uuid4().hex[:8]}"})


def _schema_id(data: bytes) -> int:
    magic, schema_id = struct.unpack(">bI", data[:5])
    assert magic == 0
    return int(schema_id)


def test_by_default_each_topic_has_its_value_subject(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    codec = AvroCodec(CLASSIFIED_ADJUSTMENT, registry=registry)
    record = _classification(make_adjustment())
    for topic in ("era.route.review", "era.route.appeals"):
        data = codec.encode(record, topic)
        latest = registry.get_latest_version(f"{topic}-value")
        assert latest.schema_id == _schema_id(data)
        assert codec.decode(data) == record
    assert sorted(registry.get_subjects()) == ["era.route.appeals-value", "era.route.review-value"]


def test_a_topic_strategy_without_a_topic_is_a_clear_error(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    codec = AvroCodec(CLASSIFIED_ADJUSTMENT, registry=registry, topics=["a.x", "a.y"])
    with pytest.raises(CodecError, match=r"needs the topic to encode for \(a.x, a.y\)"):
        codec.encode(_classification(make_adjustment()))


def test_codecs_know_the_topics_of_their_schema(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    codecs = Codecs(registry)
    codecs.adjustment.encode(make_adjustment())  # one topic carries it: no topic needed
    assert registry.get_subjects() == ["era.adjustments-value"]
    assert "era.route.review" in codecs.classified.topics
    assert codecs.dead_letter.topics == ("era.deadletter",)


@pytest.mark.parametrize(
    ("strategy", "subject"),
    [
        (SubjectNameStrategy.RECORD, "era.events.Adjustment"),
        (SubjectNameStrategy.TOPIC_RECORD, "era.adjustments-era.events.Adjustment"),
    ],
)
def test_other_strategies(
    strategy: SubjectNameStrategy,
    subject: str,
    registry: SchemaRegistryClient,
    make_adjustment: Any,
) -> None:
    policy = RegistryPolicy(subject_name_strategy=strategy)
    codec = AvroCodec(ADJUSTMENT, registry=registry, policy=policy, topics=["era.adjustments"])
    data = codec.encode(make_adjustment())
    assert registry.get_subjects() == [subject]
    assert registry.get_latest_version(subject).schema_id == _schema_id(data)


def test_without_auto_registration_an_absent_schema_fails_naming_the_subject(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    policy = RegistryPolicy(auto_register_schemas=False)
    codec = AvroCodec(ADJUSTMENT, registry=registry, policy=policy, topics=["era.adjustments"])
    with pytest.raises(CodecError) as raised:
        codec.encode(make_adjustment())
    message = str(raised.value)
    assert "not registered under subject 'era.adjustments-value'" in message
    assert "SCHEMA_REGISTRY_AUTO_REGISTER_SCHEMAS=false" in message
    assert registry.get_subjects() == []  # nothing was registered behind the user's back


@pytest.mark.parametrize("form", ["definition", "canonical"])
def test_without_auto_registration_the_registered_id_is_used(
    form: str, registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    schema = default_catalog().get(ADJUSTMENT)
    registry.register_schema("unrelated-value", Schema('"string"', "AVRO"))  # ids differ
    # registered by an operator from schemas/, or by an earlier release (the canonical form)
    text = json.dumps(schema.definition) if form == "definition" else schema.canonical_form
    schema_id = registry.register_schema("era.adjustments-value", Schema(text, "AVRO"))
    policy = RegistryPolicy(auto_register_schemas=False)
    codec = AvroCodec(ADJUSTMENT, registry=registry, policy=policy, topics=["era.adjustments"])
    record = make_adjustment()
    data = codec.encode(record)
    assert _schema_id(data) == schema_id
    assert codec.decode(data) == record


def test_use_latest_version_writes_with_the_registered_version(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    """The subject's latest version is an older Adjustment (one field fewer): records are
    written with it, under its id, and read back through schema resolution."""
    current = default_catalog().get(ADJUSTMENT)
    older = dict(current.definition)
    older["fields"] = [f for f in current.definition["fields"] if f["name"] != "ingested_at"]
    older_id = registry.register_schema("era.adjustments-value", Schema(json.dumps(older), "AVRO"))
    policy = RegistryPolicy(auto_register_schemas=False, use_latest_version=True)
    codec = AvroCodec(ADJUSTMENT, registry=registry, policy=policy, topics=["era.adjustments"])
    record = make_adjustment(ingested_at=1_795_000_000_000)
    data = codec.encode(record)
    assert _schema_id(data) == older_id
    assert not codec.writes_own_schema()
    assert codec.decode(data) == {**record, "ingested_at": None}  # the older writer lacks it
    assert len(registry.get_versions("era.adjustments-value")) == 1


def test_use_latest_version_refuses_another_record(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    other = default_catalog().get(CLASSIFIED_ADJUSTMENT).canonical_form
    registry.register_schema("era.adjustments-value", Schema(other, "AVRO"))
    policy = RegistryPolicy(use_latest_version=True)
    codec = AvroCodec(ADJUSTMENT, registry=registry, policy=policy, topics=["era.adjustments"])
    with pytest.raises(CodecError, match=r"is a era\.events\.ClassifiedAdjustment, not a"):
        codec.encode(make_adjustment())


def test_use_latest_version_without_a_version_fails_naming_the_subject(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    policy = RegistryPolicy(use_latest_version=True)
    codec = AvroCodec(ADJUSTMENT, registry=registry, policy=policy, topics=["era.adjustments"])
    with pytest.raises(CodecError, match=r"latest version of subject 'era\.adjustments-value'"):
        codec.encode(make_adjustment())


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SchemaRegistrySettings().policy() == RegistryPolicy()
    monkeypatch.setenv("SCHEMA_REGISTRY_SUBJECT_NAME_STRATEGY", "RecordNameStrategy")
    monkeypatch.setenv("SCHEMA_REGISTRY_AUTO_REGISTER_SCHEMAS", "false")
    monkeypatch.setenv("SCHEMA_REGISTRY_USE_LATEST_VERSION", "true")
    assert SchemaRegistrySettings().policy() == RegistryPolicy(
        subject_name_strategy=SubjectNameStrategy.RECORD,
        auto_register_schemas=False,
        use_latest_version=True,
    )
    monkeypatch.setenv("SCHEMA_REGISTRY_SUBJECT_NAME_STRATEGY", "by-payer")
    with pytest.raises(ValueError, match="unknown subject name strategy"):
        SchemaRegistrySettings()


def _classification(adjustment: dict[str, Any]) -> dict[str, Any]:
    from era_classifier.classification import Classifier
    from era_classifier.kb import load_knowledge_base
    from era_classifier.stage import ROUTER_FIELDS

    fields = Classifier(load_knowledge_base()).classify(adjustment)
    return {**adjustment, **fields, "classified_at": 1, **ROUTER_FIELDS}
