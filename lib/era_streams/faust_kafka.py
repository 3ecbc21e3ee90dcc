"""``KAFKA_*`` settings as faust's own Kafka clients (aiokafka) take them.

The pipeline's services do not use faust's Kafka clients (the host keeps them off, the work runs
on confluent-kafka); these are for faust apps that do: downstream consumers written with faust
and the benchmark's faust-agent baseline (``bench/faust_agent.py``).
"""

from __future__ import annotations

import ssl
from typing import Any

import faust

from era_kafka.config import KafkaSettings


def broker_urls(kafka: KafkaSettings) -> list[str]:
    """faust broker URLs for ``KAFKA_BOOTSTRAP_SERVERS``."""
    return [f"kafka://{server.strip()}" for server in kafka.bootstrap_servers.split(",") if server]


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext:
    """TLS context from ``KAFKA_SSL_*`` (CA bundle, client certificate and key)."""
    context = ssl.create_default_context(cafile=kafka.ssl_ca_location)
    if kafka.ssl_certificate_location:
        password = kafka.ssl_key_password.get_secret_value() if kafka.ssl_key_password else None
        context.load_cert_chain(kafka.ssl_certificate_location, kafka.ssl_key_location, password)
    return context


def credentials(kafka: KafkaSettings) -> Any:
    """faust broker credentials for the configured security protocol (None for PLAINTEXT)."""
    protocol = (kafka.security_protocol or "PLAINTEXT").upper()
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return faust.SSLCredentials(ssl_context(kafka))
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
        return faust.SASLCredentials(
            username=kafka.sasl_username or "",
            password=password,
            mechanism=kafka.sasl_mechanism or "PLAIN",
            ssl_context=ssl_context(kafka) if protocol == "SASL_SSL" else None,
        )
    raise ValueError(f"KAFKA_SECURITY_PROTOCOL={protocol!r} is not supported by faust")
