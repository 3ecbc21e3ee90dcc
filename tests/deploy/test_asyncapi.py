"""docs/asyncapi.yaml cannot drift from the code: its channels are exactly the pipeline's topics,
each Avro payload is the schema the code uses for that topic (field names and types), the
dead-letter headers are the ones the workers write, the ledger receipt has the report's fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from era_contract.schemas import default_catalog
from era_contract.subjects import SubjectNameStrategy
from era_contract.topics import TopicNames
from era_kafka.config import SchemaRegistrySettings, TopicSettings

pytestmark = pytest.mark.unit

AVRO = "application/vnd.apache.avro;version=1.9.0"


@pytest.fixture(scope="module")
def asyncapi(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((root / "docs" / "asyncapi.yaml").read_text())
    return data


def _resolve(document: dict[str, Any], node: Any, base: Path) -> Any:
    """Follow ``$ref``: local pointers (``#/...``) and files relative to ``base``."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref.startswith("#/"):
            node = document
            for part in ref[2:].split("/"):
                node = node[part]
        else:
            path = (base / ref).resolve()
            node = json.loads(path.read_text()) if path.suffix in {".avsc", ".json"} else None
            assert node is not None, ref
    return node


def _channels(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Topic (channel address) → channel."""
    return {channel["address"]: channel for channel in document["channels"].values()}


def _messages(document: dict[str, Any], channel: dict[str, Any]) -> list[dict[str, Any]]:
    return [_resolve(document, m, Path()) for m in channel["messages"].values()]


def _fields(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["name"], json.dumps(f["type"], sort_keys=True)) for f in schema["fields"]]


def test_version(asyncapi: dict[str, Any]) -> None:
    assert asyncapi["asyncapi"].startswith("3.")
    assert all(server["protocol"] == "kafka" for server in asyncapi["servers"].values())


def test_channel_bindings_are_how_topics_are_created(asyncapi: dict[str, Any]) -> None:
    """Partitions, replicas and topic settings: what `era topics create` does by default."""
    settings = TopicSettings.model_construct()  # the defaults, whatever the environment says
    names = TopicNames()
    for topic, channel in _channels(asyncapi).items():
        binding = _resolve(asyncapi, channel["bindings"], Path())["kafka"]
        assert binding["bindingVersion"] == "0.5.0"
        assert binding["partitions"] == settings.partitions, topic
        assert binding["replicas"] == settings.replication_factor, topic
        config = binding["topicConfiguration"]
        expected = names.configs().get(topic, {}).get("cleanup.policy", "delete")
        assert config["cleanup.policy"] == expected.split(","), topic
        retention = names.configs().get(topic, {}).get("retention.ms")
        assert str(config.get("retention.ms")) == str(retention), topic
        assert config["min.insync.replicas"] == min(2, settings.replication_factor), topic


def test_consumer_groups_are_the_workers(asyncapi: dict[str, Any]) -> None:
    from era_classifier.settings import ClassifierSettings
    from era_router.settings import RouterSettings

    for settings in (ClassifierSettings, RouterSettings):
        assert settings.model_fields["app_id"].default is None  # so the group is prefix-name
    prefix = TopicNames().prefix
    groups = {}
    for operation in asyncapi["operations"].values():
        if "bindings" in operation:
            assert operation["action"] == "receive"
            binding = _resolve(asyncapi, operation["bindings"], Path())["kafka"]
            groups[operation["channel"]["$ref"].split("/")[-1]] = binding["groupId"]["enum"]
    assert groups == {"adjustments": [f"{prefix}-classifier"], "classified": [f"{prefix}-router"]}


def test_avro_messages_say_how_the_registry_is_used(asyncapi: dict[str, Any], root: Path) -> None:
    default = SchemaRegistrySettings.model_fields["subject_name_strategy"].default
    assert default is SubjectNameStrategy.TOPIC
    for name, message in asyncapi["components"]["messages"].items():
        if message["payload"].get("schemaFormat") != AVRO:
            continue
        binding = message["bindings"]["kafka"]
        assert binding["schemaIdLocation"] == "payload", name
        assert binding["schemaIdPayloadEncoding"] == "confluent", name
        assert SubjectNameStrategy.parse(binding["schemaLookupStrategy"]) is default, name
    compose = yaml.safe_load((root / "deploy" / "compose.yaml").read_text())
    url = compose["x-era"]["environment"]["SCHEMA_REGISTRY_URL"]
    server = asyncapi["servers"]["compose"]["bindings"]["kafka"]
    assert server["schemaRegistryUrl"] == url
    assert server["schemaRegistryVendor"] == "confluent"


def test_channels_are_exactly_the_topics(asyncapi: dict[str, Any]) -> None:
    addresses = [channel["address"] for channel in asyncapi["channels"].values()]
    assert sorted(addresses) == sorted(TopicNames().all())
    assert len(addresses) == len(set(addresses))


def test_each_avro_payload_is_the_schema_the_code_uses(
    asyncapi: dict[str, Any], root: Path
) -> None:
    topics = TopicNames()
    catalog = default_catalog()
    base = root / "docs"
    for topic, channel in _channels(asyncapi).items():
        messages = _messages(asyncapi, channel)
        avro = [m for m in messages if m["payload"].get("schemaFormat") == AVRO]
        if topic in (topics.ingest_ledger, topics.classifier_changelog):
            assert avro == [], "the ledger and the classifier's state hold JSON"
            continue
        assert len(avro) == 1, f"{topic}: one Avro message expected"
        schema = _resolve(asyncapi, avro[0]["payload"]["schema"], base)
        name = f"{schema['namespace']}.{schema['name']}"
        assert name == topics.schema_for(topic), topic
        assert _fields(schema) == _fields(catalog.get(name).definition), topic
        assert avro[0]["bindings"]["kafka"]["key"], f"{topic}: the key is not described"


def test_dead_letter_headers_are_the_ones_the_services_write(asyncapi: dict[str, Any]) -> None:
    from era_streams.deadletter import dead_letter_headers

    written = {
        name
        for name, _ in dead_letter_headers(
            service="router",
            topic="t",
            partition=0,
            offset=1,
            error_class="ValueError",
            error_message="x",
        )
    }
    channel = _channels(asyncapi)[TopicNames().deadletter]
    raw = [m for m in _messages(asyncapi, channel) if "headers" in m]
    assert len(raw) == 1
    headers = raw[0]["headers"]
    assert set(headers["properties"]) == written
    assert set(headers["required"]) == written


def test_ledger_receipt_has_the_report_fields(asyncapi: dict[str, Any]) -> None:
    from era_ingest.records import FileReport, set_receipt

    channel = _channels(asyncapi)[TopicNames().ingest_ledger]
    receipts = {m["name"]: m for m in _messages(asyncapi, channel)}
    properties = receipts["FileReceipt"]["payload"]["schema"]["properties"]
    report = FileReport(file="a.835", sha256="0" * 64).as_dict()
    assert set(properties) == {*report, "committed_at"}
    set_properties = receipts["SetReceipt"]["payload"]["schema"]["properties"]
    assert set(set_properties) == set(set_receipt("a.835"))


def test_claim_key_examples_are_what_ingest_writes(asyncapi: dict[str, Any]) -> None:
    from era_ingest.records import claim_key

    examples = asyncapi["components"]["schemas"]["ClaimKey"]["examples"]
    assert examples == [
        claim_key({"payer_id": "CDCA1", "claim_id": "PT0001-A"}).decode(),
        claim_key({"payer_id": "60054", "claim_id": None, "trace": "12345678"}).decode(),
    ]


def test_operations_point_at_channels(asyncapi: dict[str, Any]) -> None:
    channels = asyncapi["channels"]
    sent = set()
    for operation in asyncapi["operations"].values():
        assert operation["action"] in {"send", "receive"}
        ref = operation["channel"]["$ref"]
        assert ref.startswith("#/channels/") and ref.split("/")[-1] in channels
        if operation["action"] == "send":
            sent.add(ref.split("/")[-1])
    assert sent == set(channels), "every topic has a producer"


def test_remittance_key_example_is_what_ingest_writes(asyncapi: dict[str, Any]) -> None:
    from era_ingest.records import remittance_key

    examples = asyncapi["components"]["schemas"]["RemittanceKey"]["examples"]
    assert examples == [
        remittance_key({"payer_id": "CDCA1", "trace": "0045284538", "transaction": "0001"}).decode()
    ]
