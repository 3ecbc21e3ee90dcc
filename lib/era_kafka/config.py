"""Kafka, topic and schema-registry settings from the environment.

Every ``KAFKA_*`` variable reaches librdkafka: the named fields below are validated, and any
other ``KAFKA_FOO_BAR`` is passed through as ``foo.bar`` (write ``__`` for a literal ``_``).
So TLS, SASL and any client tuning work without code changes, e.g.::

    KAFKA_BOOTSTRAP_SERVERS=broker-1:9093,broker-2:9093
    KAFKA_SECURITY_PROTOCOL=SASL_SSL
    KAFKA_SASL_MECHANISM=SCRAM-SHA-512
    KAFKA_SASL_USERNAME=era
    KAFKA_SASL_PASSWORD=...
    KAFKA_SSL_CA_LOCATION=/etc/era/ca.pem
    KAFKA_LINGER_MS=20

Secrets are ``SecretStr``: they appear only in the dict handed to the client, never in
``repr``, logs or :meth:`KafkaSettings.redacted`.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from era_contract.subjects import RegistryPolicy, SubjectNameStrategy

_SECRET_MARKERS = ("password", "secret", "token")


def _passthrough_key(env_name: str, prefix: str) -> str:
    body = env_name[len(prefix) :].lower()
    return body.replace("__", "\0").replace("_", ".").replace("\0", "_")


class KafkaSettings(BaseSettings):
    """Connection settings shared by every Kafka client of the pipeline (``KAFKA_`` prefix)."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str | None = None
    security_protocol: str | None = None
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: str | None = None
    ssl_certificate_location: str | None = None
    ssl_key_location: str | None = None
    ssl_key_password: SecretStr | None = None
    passthrough: dict[str, SecretStr] = Field(default_factory=dict, exclude=True)

    def model_post_init(self, context: Any, /) -> None:
        """Collect the ``KAFKA_*`` variables that are not named fields."""
        prefix = "KAFKA_"
        named = {f"{prefix}{name.upper()}" for name in type(self).model_fields}
        for env_name, value in os.environ.items():
            if env_name.startswith(prefix) and env_name not in named:
                key = _passthrough_key(env_name, prefix)
                self.passthrough.setdefault(key, SecretStr(value))

    def librdkafka(self) -> dict[str, str]:
        """The librdkafka configuration, secrets revealed: hand it to a client, never log it."""
        config: dict[str, str] = {}
        for name in type(self).model_fields:
            if name == "passthrough":
                continue
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            config[name.replace("_", ".")] = str(value)
        for key, secret in self.passthrough.items():
            config[key] = secret.get_secret_value()
        return config

    def redacted(self) -> dict[str, str]:
        """The same configuration with every secret replaced by ``***``: safe to log."""
        config = self.librdkafka()
        return {
            key: "***" if any(marker in key for marker in _SECRET_MARKERS) else value
            for key, value in config.items()
        }


class TopicSettings(BaseSettings):
    """Topic naming and layout (``ERA_TOPIC_`` prefix)."""

    model_config = SettingsConfigDict(env_prefix="ERA_TOPIC_", extra="ignore")

    prefix: str = "era"
    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    state_retention_days: int = Field(default=548, ge=1)
    """Retention of the classifier's claim index (``ERA_TOPIC_STATE_RETENTION_DAYS``)."""


class SchemaRegistrySettings(BaseSettings):
    """Confluent Schema Registry (``SCHEMA_REGISTRY_`` prefix); unset URL = no registry.

    ``subject_name_strategy`` is ``topic`` (``<topic>-value``, Confluent's default), ``record``
    or ``topic_record`` (Confluent's class names work too); ``auto_register_schemas`` and
    ``use_latest_version`` mean what they mean for Confluent's serializers
    (:mod:`era_contract.subjects`).
    """

    model_config = SettingsConfigDict(env_prefix="SCHEMA_REGISTRY_", extra="ignore")

    url: str | None = None
    basic_auth_user_info: SecretStr | None = None
    subject_name_strategy: SubjectNameStrategy = SubjectNameStrategy.TOPIC
    auto_register_schemas: bool = True
    use_latest_version: bool = False

    @field_validator("subject_name_strategy", mode="before")
    @classmethod
    def _strategy(cls, value: object) -> object:
        return SubjectNameStrategy.parse(value) if isinstance(value, str) else value

    def policy(self) -> RegistryPolicy:
        """The producer-side registry policy these settings describe."""
        return RegistryPolicy(
            subject_name_strategy=self.subject_name_strategy,
            auto_register_schemas=self.auto_register_schemas,
            use_latest_version=self.use_latest_version,
        )
