"""Faust hosting shared by the workers: the app, its health and metrics pages, and the engine
that runs a stage.

Two engines run a :class:`~era_streams.stage.Stage`:

* ``transactional`` (default): :class:`~era_streams.transactional.TransactionalLoop`, exactly
  once with Kafka transactions, run in a thread that the faust app starts and stops with itself
  (faust gives the worker its lifecycle, signals, logging and web server);
* ``faust``: a faust agent, **at least once** (a crash can repeat outputs). It exists to compare
  against in benchmarks; faust's own exactly-once mode is not offered because it is not atomic
  (see ``transactional.py``).

Either way a record the stage cannot process goes to the dead-letter topic with its key and
value untouched and ``era.dlt.*`` headers, and the worker carries on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
from collections.abc import Callable
from typing import Any

import faust
import mode
from faust.app.base import BootStrategy
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from era_contract.topics import TopicNames
from era_kafka.clients import consumer_config, producer_config
from era_kafka.config import KafkaSettings, TopicSettings
from era_kafka.retry import WriteStall
from era_streams.deadletter import dead_letter_headers
from era_streams.errors import dead_letter_reason
from era_streams.metrics import StreamMetrics
from era_streams.settings import WorkerSettings
from era_streams.stage import Stage
from era_streams.transactional import TransactionalLoop

log = logging.getLogger("era.worker")

# An orphaned transaction (a killed worker's) blocks read_committed readers of its output
# partitions until the broker aborts it; transactions here last about a commit interval.
TRANSACTION_TIMEOUT_MS = 10_000


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
    raise ValueError(f"KAFKA_SECURITY_PROTOCOL={protocol!r} is not supported by the workers")


def make_app(
    app_id: str,
    *,
    kafka: KafkaSettings,
    worker: WorkerSettings,
    partitions: int,
    web_host: str,
    web_port: int,
) -> faust.App:
    """A faust app that consumes ``read_committed`` and commits transactionally."""
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
        web_enabled=web_port != 0,
        web_bind=web_host,
        web_port=web_port or 6066,
        web_host=web_host,
        producer_acks=-1,
    )


def add_health_pages(
    app: faust.App, registry: CollectorRegistry, ready: Callable[[], bool] | None = None
) -> None:
    """``/metrics`` (Prometheus), ``/healthz`` (process up) and ``/readyz`` (assigned)."""

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        # the Prometheus text format 0.0.4; aiohttp adds the charset itself
        return web.bytes(generate_latest(registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    def is_ready() -> bool:
        if ready is not None:
            return ready()
        return bool(app.consumer.assignment()) if app.consumer else False

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        if is_ready():
            return web.json({"status": "ready"})
        return web.json({"status": "not ready"}, status=503)


def attach_stage(
    app: faust.App,
    *,
    name: str,
    source_topic: str,
    dead_letter_topic: str,
    stage: Stage,
    on_dead_letter: Callable[[BaseException], None] = lambda exc: None,
) -> None:
    """Run ``stage`` over ``source_topic``; failures go to ``dead_letter_topic``."""

    def raw_topic(topic: str) -> Any:
        return app.topic(topic, key_serializer="raw", value_serializer="raw")

    source = raw_topic(source_topic)
    dead_letters = raw_topic(dead_letter_topic)
    sinks: dict[str, Any] = {}

    def sink(topic: str) -> Any:
        found = sinks.get(topic)
        if found is None:
            found = sinks[topic] = raw_topic(topic)
        return found

    async def process(stream: Any) -> None:
        async for event in stream.events():
            try:
                outputs = stage(event.key, event.value)
            except Exception as exc:  # every failure is dead-lettered, never dropped or fatal
                message = event.message
                headers = dead_letter_headers(
                    service=name,
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    error=exc,
                )
                await dead_letters.send(key=event.key, value=event.value, headers=headers)
                on_dead_letter(exc)
                log.warning(
                    "dead-lettered %s[%d]@%d: %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    type(exc).__name__,
                )
                continue
            for topic, value in outputs:
                await sink(topic).send(key=event.key, value=value)

    app.agent(source, name=f"{name}.process")(process)


def host_loop(app: faust.App, loop: TransactionalLoop) -> None:
    """Run ``loop`` in a thread for as long as ``app`` runs; a loop that dies crashes the app."""

    class TransactionalLoopService(mode.Service):
        _future: asyncio.Future[None] | None = None

        async def on_started(self) -> None:
            self._future = asyncio.get_running_loop().run_in_executor(None, loop.run)
            self.add_future(self._watch(self._future))

        async def _watch(self, future: asyncio.Future[None]) -> None:
            try:
                await future
            except Exception as exc:
                log.error("%s stopped on a fatal error: %s", loop.name, exc)
                await app.crash(exc)

        async def on_stop(self) -> None:
            loop.stop()
            if self._future is not None:
                await asyncio.wait([self._future], timeout=30)

    app.service(TransactionalLoopService)


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
) -> faust.App:
    """The faust app of one worker (``name``), running ``stage`` over ``source_topic`` with the
    configured engine; Kafka, topic and worker settings come from the environment."""
    kafka, worker, topics = KafkaSettings(), WorkerSettings(), TopicSettings()
    names = TopicNames(topics.prefix)
    app_id = app_id or f"{names.prefix}-{name}"
    dead_letter_topic = names.deadletter
    partitions = topics.partitions

    def on_dead_letter(error: BaseException) -> None:
        dead_letters.labels(name, dead_letter_reason(error)).inc()

    app = make_app(
        app_id,
        kafka=kafka,
        worker=worker,
        partitions=partitions,
        web_host=web_host,
        web_port=web_port,
    )
    if worker.engine == "faust":
        attach_stage(
            app,
            name=name,
            source_topic=source_topic,
            dead_letter_topic=dead_letter_topic,
            stage=stage,
            on_dead_letter=on_dead_letter,
        )
        add_health_pages(app, registry)
        return app
    # faust hosts the loop (lifecycle, signals, web); its own Kafka clients stay off so they
    # neither join the worker's consumer group nor open idle connections.
    app.boot_strategy = BootStrategy(app, enable_kafka=False)
    instance = worker.instance_id or f"{socket.gethostname()}-{os.getpid()}"
    loop = TransactionalLoop(
        name=name,
        consumer_config=consumer_config(
            kafka,
            group_id=app_id,
            **{
                "session.timeout.ms": int(worker.session_timeout_seconds * 1000),
                "heartbeat.interval.ms": int(min(3.0, worker.session_timeout_seconds / 3) * 1000),
            },
        ),
        producer_config=producer_config(
            kafka,
            transactional_id=f"{app_id}-{instance}",
            **{"transaction.timeout.ms": TRANSACTION_TIMEOUT_MS},
        ),
        source_topic=source_topic,
        dead_letter_topic=dead_letter_topic,
        stage=stage,
        commit_interval=worker.commit_interval_seconds,
        batch_size=worker.batch_size,
        on_dead_letter=on_dead_letter,
        metrics=StreamMetrics(registry, app_id),
        stall=WriteStall(name, registry),
    )
    host_loop(app, loop)
    add_health_pages(
        app,
        registry,
        ready=lambda: loop.state.running and bool(loop.state.assigned) and not loop.stall.stalled,
    )
    return app
