"""Client configurations and codecs built from settings: one place decides how the pipeline
talks to Kafka."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient

from era_contract.codec import AvroCodec
from era_contract.schemas import ADJUSTMENT, CLASSIFIED_ADJUSTMENT, DEAD_LETTER
from era_kafka.config import KafkaSettings, SchemaRegistrySettings

# librdkafka's own log lines go through Python logging (so they are JSON too), not raw stderr.
CLIENT_LOGGER = logging.getLogger("era.kafka.client")


def producer_config(
    kafka: KafkaSettings, *, transactional_id: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """An idempotent producer (acks=all); transactional when ``transactional_id`` is given."""
    config: dict[str, Any] = {
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        "logger": CLIENT_LOGGER,
        **kafka.librdkafka(),
    }
    if transactional_id:
        config["transactional.id"] = transactional_id
    config.update(overrides)
    return config


def consumer_config(kafka: KafkaSettings, *, group_id: str, **overrides: Any) -> dict[str, Any]:
    """A read_committed consumer that commits only what the caller tells it to."""
    config: dict[str, Any] = {
        "group.id": group_id,
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "logger": CLIENT_LOGGER,
        **kafka.librdkafka(),
    }
    config.update(overrides)
    return config


def admin_config(kafka: KafkaSettings) -> dict[str, Any]:
    """Configuration for ``confluent_kafka.admin.AdminClient``."""
    return {"logger": CLIENT_LOGGER, **kafka.librdkafka()}


def schema_registry(settings: SchemaRegistrySettings) -> SchemaRegistryClient | None:
    """The registry client when ``SCHEMA_REGISTRY_URL`` is set (``mock://`` works), else None."""
    if not settings.url:
        return None
    conf: dict[str, Any] = {"url": settings.url}
    if settings.basic_auth_user_info is not None:
        conf["basic.auth.user.info"] = settings.basic_auth_user_info.get_secret_value()
    return SchemaRegistryClient.new_client(conf)  # mock:// URLs give the in-memory client


class Codecs:
    """One codec per event schema, sharing a registry client when one is configured."""

    def __init__(self, registry: SchemaRegistryClient | None = None) -> None:
        self.adjustment = AvroCodec(ADJUSTMENT, registry=registry)
        self.classified = AvroCodec(CLASSIFIED_ADJUSTMENT, registry=registry)
        self.dead_letter = AvroCodec(DEAD_LETTER, registry=registry)

    @classmethod
    def from_env(cls) -> Codecs:
        """Codecs configured from ``SCHEMA_REGISTRY_*``."""
        return cls(schema_registry(SchemaRegistrySettings()))

    def for_schema(self, schema_name: str) -> AvroCodec:
        """The codec of ``schema_name``."""
        for codec in (self.adjustment, self.classified, self.dead_letter):
            if codec.name == schema_name:
                return codec
        raise KeyError(schema_name)
