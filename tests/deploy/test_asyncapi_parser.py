"""docs/asyncapi.yaml passes the official AsyncAPI parser (``@asyncapi/parser``: the AsyncAPI
JSON schemas, the Kafka binding schemas and its Spectral rules; Avro payloads through
``@asyncapi/avro-schema-parser``) with no error, warning or information, and the parser's model
of it is the pipeline's: topics, Kafka bindings, Avro fields, keys and consumer groups."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from asyncapi_parser import parse
from era_contract.schemas import default_catalog
from era_contract.topics import TopicNames

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def parsed(root: Path) -> dict[str, Any]:
    return parse(root / "docs" / "asyncapi.yaml")


def test_the_parser_reports_nothing(parsed: dict[str, Any]) -> None:
    assert parsed["diagnostics"] == []
    assert parsed["version"].startswith("3.")


def test_the_parsed_channels_are_the_topics_with_kafka_bindings(parsed: dict[str, Any]) -> None:
    names = TopicNames()
    channels = {channel["address"]: channel for channel in parsed["channels"]}
    assert sorted(channels) == sorted(names.all())
    for topic, channel in channels.items():
        binding = channel["kafka"]
        assert binding["partitions"] >= 1 and binding["replicas"] >= 1, topic
        assert binding["topicConfiguration"]["cleanup.policy"], topic


def test_the_parser_reads_each_avro_payload_from_schemas(parsed: dict[str, Any]) -> None:
    """The Avro schema parser resolved ``../schemas/*.avsc``: its fields are the schema's."""
    names = TopicNames()
    catalog = default_catalog()
    for channel in parsed["channels"]:
        if channel["address"] in (names.ingest_ledger, names.classifier_changelog):
            continue
        avro = [m for m in channel["messages"] if "avro" in (m["schemaFormat"] or "")]
        assert len(avro) == 1, channel["address"]
        expected = catalog.get(names.schema_for(channel["address"])).field_names
        assert tuple(avro[0]["payloadFields"]) == expected, channel["address"]
        assert avro[0]["key"] is not None, channel["address"]


def test_the_worker_groups_are_parsed(parsed: dict[str, Any]) -> None:
    groups = {
        operation["id"]: operation["kafka"]["groupId"]["enum"]
        for operation in parsed["operations"]
        if operation["kafka"] is not None
    }
    assert groups == {
        "classifierReceivesAdjustments": ["era-classifier"],
        "routerReceivesClassified": ["era-router"],
    }


def test_the_parser_rejects_a_broken_binding(root: Path, tmp_path: Path) -> None:
    """The check can fail: the same document with a binding the Kafka binding schema forbids."""
    shutil.copytree(root / "schemas", tmp_path / "schemas")
    (tmp_path / "docs").mkdir()
    text = (root / "docs" / "asyncapi.yaml").read_text(encoding="utf-8")
    broken = text.replace("        partitions: 4\n", "        partitions: four\n", 1)
    assert broken != text
    (tmp_path / "docs" / "asyncapi.yaml").write_text(broken, encoding="utf-8")
    diagnostics = parse(tmp_path / "docs" / "asyncapi.yaml")["diagnostics"]
    errors = [d for d in diagnostics if d["severity"] == 0]
    assert errors, diagnostics
    assert any("partitions" in d["path"] for d in errors), errors
