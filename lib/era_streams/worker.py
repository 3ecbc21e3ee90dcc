"""A stream worker (the classifier, the router): one :class:`TransactionalLoop` over its source
topic, hosted by faust (:mod:`era_streams.host`). Kafka, topic and worker settings come from the
environment; the service hands in its stage, registry and web address."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

import faust
from confluent_kafka import Consumer
from prometheus_client import CollectorRegistry, Counter

from era_contract.topics import TopicNames
from era_kafka.clients import Codecs, consumer_config, producer_config
from era_kafka.config import KafkaSettings, TopicSettings
from era_kafka.retry import WriteStall
from era_streams.changelog import StateBinding, kafka_changelog_reader
from era_streams.errors import dead_letter_reason
from era_streams.host import add_health_pages, host_job, make_app
from era_streams.metrics import StreamMetrics
from era_streams.progress import GroupProgress, Punctuator
from era_streams.settings import WorkerSettings
from era_streams.stage import Stage
from era_streams.state import TransactionalStore
from era_streams.transactional import TransactionalLoop, client_factories

# An orphaned transaction (a killed worker's) blocks read_committed readers of its output
# partitions until the broker aborts it; transactions here last about a commit interval.
TRANSACTION_TIMEOUT_MS = 10_000


def build_worker(
    *,
    name: str,
    app_id: str | None,
    source_topic: str,
    stage: Stage,
    registry: CollectorRegistry,
    dead_letters: Counter,
    web_host: str,
    web_port: int,
    store: TransactionalStore | None = None,
    changelog_topic: str | None = None,
    extra_stages: Mapping[str, Stage] | None = None,
    punctuate: Punctuator | None = None,
) -> faust.App:
    """The hosted worker ``name``: ``stage`` over ``source_topic``, exactly once.

    With a ``store`` its writes go to ``changelog_topic`` in the loop's transactions and each
    assigned partition is restored from it (:mod:`era_streams.changelog`); ``extra_stages``
    read more topics co-partitioned with the source (the consumer uses the range assignor);
    ``punctuate`` runs about once a second per assigned partition with the group's progress
    (:mod:`era_streams.progress`, queried on a consumer of its own).
    """
    kafka, worker, topics = KafkaSettings(), WorkerSettings(), TopicSettings()
    names = TopicNames(topics.prefix)
    app_id = app_id or f"{names.prefix}-{name}"

    def on_dead_letter(error: BaseException) -> None:
        dead_letters.labels(name, dead_letter_reason(error)).inc()

    instance = worker.instance_id or f"{socket.gethostname()}-{os.getpid()}"
    session_ms = int(worker.session_timeout_seconds * 1000)
    group: dict[str, object] = {
        "session.timeout.ms": session_ms,
        "heartbeat.interval.ms": min(3000, session_ms // 3),
    }
    if extra_stages:
        # partition p of every topic to the same member: co-partitioned state
        group["partition.assignment.strategy"] = "range"
    state = None
    if store is not None:
        if changelog_topic is None:
            raise ValueError("a worker with a store needs its changelog topic")
        reader = kafka_changelog_reader(consumer_config(kafka, group_id=f"{app_id}-restore"))
        state = StateBinding(store, changelog_topic, reader)
    consumer_factory, producer_factory = client_factories(
        consumer_config(kafka, group_id=app_id, **group),
        producer_config(
            kafka,
            transactional_id=f"{app_id}-{instance}",
            **{"transaction.timeout.ms": TRANSACTION_TIMEOUT_MS},
        ),
    )
    progress = None
    if punctuate is not None:
        query = consumer_config(kafka, group_id=app_id, **{"isolation.level": "read_uncommitted"})
        progress = GroupProgress(lambda: Consumer(query), source_topic, list(extra_stages or ()))
    loop = TransactionalLoop(
        name=name,
        consumer_factory=consumer_factory,
        producer_factory=producer_factory,
        source_topic=source_topic,
        dead_letter_topic=names.deadletter,
        stage=stage,
        commit_interval=worker.commit_interval_seconds,
        batch_size=worker.batch_size,
        on_dead_letter=on_dead_letter,
        metrics=StreamMetrics(registry, app_id),
        stall=WriteStall(name, registry),
        dead_letter_encoder=Codecs.from_env().dead_letter.encode,
        state=state,
        extra_stages=extra_stages,
        punctuate=punctuate,
        progress=progress,
    )
    app = make_app(app_id, web_host=web_host, web_port=web_port)
    host_job(app, loop)
    add_health_pages(
        app,
        registry,
        ready=lambda: loop.state.running and bool(loop.state.assigned) and not loop.stall.stalled,
    )
    return app
