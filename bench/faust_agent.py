"""The benchmark's faust-agent baseline: the classifier or router stage run as a plain faust
agent (faust's own aiokafka clients, **at least once**: a crash can repeat outputs).

This engine is not part of the product (the services run the transactional loop, see
docs/delivery.md for why not faust's exactly-once mode); it is kept here so ``make bench``
can show what faust's agents cost next to the loop. Run it as the services run::

    .venv/bin/python bench/faust_agent.py classifier|router

It reads the same ``KAFKA_*``, ``ERA_TOPIC_*`` and ``ERA_WORKER_*`` settings. A record the stage
cannot process goes to the dead-letter topic raw with ``era.dlt.*`` headers.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

import faust

from era_classifier.metrics import ClassifierMetrics
from era_classifier.service import build_stage as classifier_stage
from era_classifier.settings import ClassifierSettings
from era_contract.codec import AvroCodec
from era_contract.topics import TopicNames
from era_contract.vocabulary import DEAD_LETTER
from era_kafka.config import KafkaSettings, TopicSettings
from era_router.metrics import RouterMetrics
from era_router.service import build_stage as router_stage
from era_router.settings import RouterSettings
from era_streams.deadletter import record_headers, worker_dead_letter
from era_streams.errors import dead_letter_reason
from era_streams.faust_kafka import broker_urls, credentials
from era_streams.host import faust_datadir, run_app
from era_streams.settings import WorkerSettings
from era_streams.stage import Stage

log = logging.getLogger("era.bench.faust")


def make_app(app_id: str, *, kafka: KafkaSettings, worker: WorkerSettings, partitions: int) -> Any:
    """A faust app with its own Kafka clients, consuming read_committed, at least once."""
    return faust.App(
        app_id,
        broker=broker_urls(kafka),
        broker_credentials=credentials(kafka),
        processing_guarantee="at_least_once",
        broker_commit_interval=worker.commit_interval_seconds,
        broker_session_timeout=worker.session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, worker.session_timeout_seconds / 3),
        topic_partitions=partitions,
        topic_allow_declare=False,
        consumer_auto_offset_reset="earliest",
        store="memory://",
        datadir=faust_datadir(app_id),
        web_enabled=False,
        producer_acks=-1,
    )


def attach_stage(
    app: Any, *, name: str, source_topic: str, dead_letter_topic: str, stage: Stage
) -> None:
    """Run ``stage`` over ``source_topic`` as a faust agent; failures go to the dead letters."""

    def raw_topic(topic: str) -> Any:
        return app.topic(topic, key_serializer="raw", value_serializer="raw")

    source = raw_topic(source_topic)
    dead_letters = raw_topic(dead_letter_topic)
    sinks: dict[str, Any] = {}
    encode_dead_letter = AvroCodec(DEAD_LETTER).encode

    def sink(topic: str) -> Any:
        found = sinks.get(topic)
        if found is None:
            found = sinks[topic] = raw_topic(topic)
        return found

    async def process(stream: Any) -> None:
        async for event in stream.events():
            try:
                outputs = stage(event.key, event.value)
            except Exception as exc:  # dead-lettered, never dropped or fatal
                message = event.message
                record = worker_dead_letter(
                    service=name,
                    reason=dead_letter_reason(exc),
                    error=exc,
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    key=event.key,
                    value=event.value,
                    now_ms=int(time.time() * 1000),
                )
                await dead_letters.send(
                    key=event.key, value=encode_dead_letter(record), headers=record_headers(record)
                )
                continue
            for topic, value in outputs:
                await sink(topic).send(key=event.key, value=value)

    app.agent(source, name=f"{name}.process")(process)


def build(service: str) -> Any:
    """The faust-agent app of ``service`` (classifier or router) from the environment."""
    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    topics = TopicSettings()
    names = TopicNames(topics.prefix)
    registry = CollectorRegistry()
    stage: Stage
    if service == "classifier":
        settings = ClassifierSettings()
        stage = classifier_stage(settings, ClassifierMetrics(registry))
        source, app_id = names.adjustments, settings.app_id
    else:
        router = RouterSettings()
        stage = router_stage(router, RouterMetrics(registry))
        source, app_id = names.classified, router.app_id
    app = make_app(
        app_id or f"{names.prefix}-{service}",
        kafka=KafkaSettings(),
        worker=WorkerSettings(),
        partitions=topics.partitions,
    )
    attach_stage(
        app, name=service, source_topic=source, dead_letter_topic=names.deadletter, stage=stage
    )
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service", choices=("classifier", "router"))
    args = parser.parse_args()
    return run_app(build(args.service))


if __name__ == "__main__":
    sys.exit(main())
