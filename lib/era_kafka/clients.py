"""Client configurations and codecs built from settings: one place decides how the pipeline
talks to Kafka."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient

from era_contract.codec import AvroCodec
from era_contract.schemas import ADJUSTMENT, CLAIM, CLASSIFIED_ADJUSTMENT, DEAD_LETTER, REMITTANCE
from era_contract.subjects import RegistryPolicy
from era_contract.topics import TopicNames
from era_kafka.config import KafkaSettings, SchemaRegistrySettings, TopicSettings

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
    """One codec per event schema, sharing a registry client and policy when one is configured.

    Each codec knows the topics of ``topics`` that carry its schema, so a schema carried by one
    topic only is encoded without naming the topic (the subject is still ``<topic>-value``).
    """

    def __init__(
        self,
        registry: SchemaRegistryClient | None = None,
        *,
        policy: RegistryPolicy | None = None,
        topics: TopicNames | None = None,
    ) -> None:
        self.registry = registry
        self.policy = policy or RegistryPolicy()
        self.topic_names = topics or TopicNames()
        self.adjustment = self._codec(ADJUSTMENT)
        self.classified = self._codec(CLASSIFIED_ADJUSTMENT)
        self.dead_letter = self._codec(DEAD_LETTER)
        self.claim = self._codec(CLAIM)
        self.remittance = self._codec(REMITTANCE)

    def _codec(self, schema_name: str) -> AvroCodec:
        carried = [
            topic
            for topic in self.topic_names.all()
            if topic not in self.topic_names.internal
            and self.topic_names.schema_for(topic) == schema_name
        ]
        return AvroCodec(schema_name, registry=self.registry, policy=self.policy, topics=carried)

    @classmethod
    def from_env(cls) -> Codecs:
        """Codecs configured from ``SCHEMA_REGISTRY_*`` and ``ERA_TOPIC_PREFIX``."""
        settings = SchemaRegistrySettings()
        return cls(
            schema_registry(settings),
            policy=settings.policy(),
            topics=TopicNames(TopicSettings().prefix),
        )

    def for_schema(self, schema_name: str) -> AvroCodec:
        """The codec of ``schema_name``."""
        for codec in (
            self.adjustment,
            self.classified,
            self.dead_letter,
            self.claim,
            self.remittance,
        ):
            if codec.name == schema_name:
                return codec
        raise KeyError(schema_name)
