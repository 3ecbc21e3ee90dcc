"""Confluent's own Avro serializer and deserializer (confluent-kafka's ``AvroSerializer`` /
``AvroDeserializer``, default settings: TopicNameStrategy, auto-registration) and the era codec
read each other's records through one registry (the in-memory ``mock://`` one)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from era_contract.schemas import ADJUSTMENT, default_catalog
from era_kafka.clients import Codecs

pytestmark = pytest.mark.unit


@pytest.fixture
def registry() -> SchemaRegistryClient:
    return SchemaRegistryClient.new_client({"url": f"mock://era-{uuid.uuid4().hex[:8]}"})


def test_confluents_deserializer_reads_what_the_pipeline_writes(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    codecs = Codecs(registry)
    topic = codecs.topic_names.adjustments
    record = make_adjustment()
    data = codecs.adjustment.encode(record)
    deserialize = AvroDeserializer(registry)
    assert deserialize(data, SerializationContext(topic, MessageField.VALUE)) == record
    assert registry.get_subjects() == [f"{topic}-value"]


def test_the_pipeline_reads_what_confluents_serializer_writes(
    registry: SchemaRegistryClient, make_adjustment: Any
) -> None:
    codecs = Codecs(registry)
    topic = codecs.topic_names.adjustments
    schema_text = default_catalog().get(ADJUSTMENT).canonical_form
    serialize = AvroSerializer(registry, schema_text)
    record = make_adjustment()
    data = serialize(record, SerializationContext(topic, MessageField.VALUE))
    assert data is not None and data[:1] == b"\x00"
    assert codecs.adjustment.decode(data) == record
    # the serializer registered under <topic>-value, where the pipeline's producer finds it
    assert registry.get_subjects() == [f"{topic}-value"]
