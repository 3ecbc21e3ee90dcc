"""Settings reach librdkafka unchanged; secrets never leave it."""

from __future__ import annotations

import pytest

from era_kafka.clients import consumer_config, producer_config
from era_kafka.config import KafkaSettings, TopicSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("KAFKA_", "ERA_TOPIC_", "SCHEMA_REGISTRY_")):
            monkeypatch.delenv(name)


def test_tls_and_sasl_settings_reach_every_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "b1:9093,b2:9093")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "era")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("KAFKA_SSL_CA_LOCATION", "/etc/era/ca.pem")
    settings = KafkaSettings()
    for config in (
        producer_config(settings, transactional_id="ingest-1"),
        consumer_config(settings, group_id="g"),
    ):
        assert config["bootstrap.servers"] == "b1:9093,b2:9093"
        assert config["security.protocol"] == "SASL_SSL"
        assert config["sasl.mechanism"] == "SCRAM-SHA-512"
        assert config["sasl.username"] == "era"
        assert config["sasl.password"] == "s3cret"
        assert config["ssl.ca.location"] == "/etc/era/ca.pem"


def test_any_other_kafka_variable_is_passed_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_LINGER_MS", "20")
    monkeypatch.setenv("KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM", "https")
    monkeypatch.setenv("KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET", "oauth-secret")
    config = KafkaSettings().librdkafka()
    assert config["linger.ms"] == "20"
    assert config["ssl.endpoint.identification.algorithm"] == "https"
    assert config["sasl.oauthbearer.client.secret"] == "oauth-secret"


def test_secrets_are_hidden_everywhere_but_the_client_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET", "oauth-secret")
    settings = KafkaSettings()
    for text in (
        repr(settings),
        str(settings),
        str(settings.redacted()),
        settings.model_dump_json(),
    ):
        assert "s3cret" not in text
        assert "oauth-secret" not in text
    assert settings.redacted()["sasl.password"] == "***"


def test_transactional_producer_is_idempotent() -> None:
    config = producer_config(KafkaSettings(), transactional_id="ingest-1")
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["transactional.id"] == "ingest-1"


def test_consumers_read_committed_and_commit_explicitly() -> None:
    config = consumer_config(KafkaSettings(), group_id="g")
    assert config["isolation.level"] == "read_committed"
    assert config["enable.auto.commit"] is False


def test_topic_defaults_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (TopicSettings().partitions, TopicSettings().replication_factor) == (4, 1)
    monkeypatch.setenv("ERA_TOPIC_PARTITIONS", "0")
    with pytest.raises(ValueError, match="partitions"):
        TopicSettings()
