"""Topic administration."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic


class TopicAdminError(RuntimeError):
    """A topic could not be created or checked; the message names it and why."""


@dataclass(frozen=True, slots=True)
class TopicStatus:
    """What :func:`ensure_topics` did with one topic."""

    name: str
    created: bool
    partitions: int


def ensure_topics(
    config: dict[str, Any],
    names: Iterable[str],
    *,
    partitions: int,
    replication_factor: int,
    configs: dict[str, dict[str, str]] | None = None,
    timeout: float = 30.0,
) -> list[TopicStatus]:
    """Create the topics that do not exist yet; existing ones are left as they are (idempotent).

    Transaction-friendly settings: ``min.insync.replicas`` is capped by the replication factor.
    """
    admin = AdminClient(config)
    wanted = list(dict.fromkeys(names))
    min_isr = str(min(2, replication_factor))
    new = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            config={"min.insync.replicas": min_isr, **(configs or {}).get(name, {})},
        )
        for name in wanted
    ]
    created: set[str] = set()
    for name, future in admin.create_topics(new, request_timeout=timeout).items():
        try:
            future.result(timeout=timeout)
            created.add(name)
        except KafkaException as exc:
            error = exc.args[0]
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise TopicAdminError(f"cannot create topic {name}: {error}") from exc
    return [
        TopicStatus(name, name in created, partitions)
        for name, partitions in _wait_visible(admin, wanted, timeout).items()
    ]


def _wait_visible(admin: AdminClient, names: list[str], timeout: float) -> dict[str, int]:
    """Topic → partition count, once every topic shows up in metadata with all its leaders."""
    deadline = time.monotonic() + timeout
    missing = names
    while True:
        metadata = admin.list_topics(timeout=timeout)
        found: dict[str, int] = {}
        for name in names:
            topic = metadata.topics.get(name)
            if topic is None or topic.error is not None:
                continue
            if all(p.leader >= 0 for p in topic.partitions.values()):
                found[name] = len(topic.partitions)
        missing = [name for name in names if name not in found]
        if not missing:
            return found
        if time.monotonic() > deadline:
            raise TopicAdminError(f"topics not visible after creation: {', '.join(missing)}")
        time.sleep(0.2)


def delete_topics(config: dict[str, Any], names: Iterable[str], timeout: float = 30.0) -> None:
    """Delete topics, ignoring the ones that do not exist (test clean-up)."""
    admin = AdminClient(config)
    futures = admin.delete_topics(list(names), operation_timeout=timeout)
    for future in futures.values():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            error = exc.args[0]
            if not (
                isinstance(error, KafkaError) and error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
            ):
                raise
