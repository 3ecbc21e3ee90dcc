"""faust's own Kafka clients (downstream faust apps, the bench baseline) take TLS and SASL from
the same KAFKA_* settings as librdkafka."""

from __future__ import annotations

import os

import faust
import pytest

from era_kafka.config import KafkaSettings
from era_streams.faust_kafka import broker_urls, credentials

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("KAFKA_"):
            monkeypatch.delenv(name)


def test_broker_urls_cover_every_bootstrap_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "b1:9093, b2:9093")
    assert broker_urls(KafkaSettings()) == ["kafka://b1:9093", "kafka://b2:9093"]


def test_plaintext_needs_no_credentials() -> None:
    assert credentials(KafkaSettings()) is None


def test_sasl_scram(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "era")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    found = credentials(KafkaSettings())
    assert isinstance(found, faust.SASLCredentials)
    assert (found.username, found.password) == ("era", "s3cret")
    assert str(found.mechanism.value) == "SCRAM-SHA-512"
    assert found.ssl_context is None


def test_sasl_ssl_carries_a_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "PLAIN")
    found = credentials(KafkaSettings())
    assert isinstance(found, faust.SASLCredentials)
    assert found.ssl_context is not None


def test_ssl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
    assert isinstance(credentials(KafkaSettings()), faust.SSLCredentials)


def test_unknown_protocol_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "CARRIER_PIGEON")
    with pytest.raises(ValueError, match="CARRIER_PIGEON"):
        credentials(KafkaSettings())
