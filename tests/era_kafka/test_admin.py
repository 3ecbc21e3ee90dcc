from __future__ import annotations

import uuid

import pytest

from era_kafka.admin import delete_topics, ensure_topics
from era_kafka.clients import admin_config
from era_kafka.config import KafkaSettings

pytestmark = pytest.mark.integration


def test_ensure_topics_is_idempotent(kafka_settings: KafkaSettings) -> None:
    names = [f"adm{uuid.uuid4().hex[:8]}.{n}" for n in ("a", "b")]
    config = admin_config(kafka_settings)
    try:
        first = ensure_topics(config, names, partitions=3, replication_factor=1)
        assert [(s.name, s.created, s.partitions) for s in first] == [
            (names[0], True, 3),
            (names[1], True, 3),
        ]
        again = ensure_topics(config, names, partitions=3, replication_factor=1)
        assert [s.created for s in again] == [False, False]
    finally:
        delete_topics(config, names)
