"""The one host of every service: faust-streaming.

faust gives each process (ingest, classifier, router) its lifecycle, signal handling (SIGTERM
and SIGINT stop it cleanly), logging and web views: ``/metrics`` (Prometheus), ``/healthz``
(the process is up) and ``/readyz`` (the service can do its work). The work itself is a blocking
:class:`Job` — the transactional loop of a worker, the inbox watcher of ingest — run in a thread
that the host starts and stops with itself. faust's own Kafka clients stay off: the job has its
own (confluent-kafka), so faust neither joins a consumer group nor opens idle connections.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import faust
import mode
from faust.app.base import BootStrategy
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from era_streams.logs import log_level, logging_config

log = logging.getLogger("era.host")

STOP_TIMEOUT_SECONDS = 30


class Job(Protocol):
    """Blocking work the host runs in a thread."""

    name: str

    def run(self) -> None:
        """Work until :meth:`stop`; raising crashes the host (the process exits non-zero)."""

    def stop(self) -> None:
        """Ask :meth:`run` to finish what it holds and return (called from another thread)."""


def faust_datadir(app_id: str) -> Path:
    """Where faust keeps an app's data directory: under the temp dir, never the working
    directory (faust makes ``<id>-data/`` even for memory stores, and nothing is kept there)."""
    path = Path(tempfile.gettempdir()) / "era-faust" / app_id
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def make_app(app_id: str, *, web_host: str, web_port: int) -> faust.App:
    """A faust app that hosts a job: web views on ``web_host:web_port`` (0: none), no Kafka."""
    app = faust.App(
        app_id,
        store="memory://",
        datadir=faust_datadir(app_id),
        web_enabled=web_port != 0,
        web_bind=web_host,
        web_port=web_port or 6066,
        web_host=web_host,
    )
    app.boot_strategy = BootStrategy(app, enable_kafka=False)
    return app


def add_health_pages(
    app: faust.App, registry: CollectorRegistry, ready: Callable[[], bool]
) -> None:
    """``/metrics`` (Prometheus text), ``/healthz`` (process up), ``/readyz`` (``ready()``)."""

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        # the Prometheus text format 0.0.4; aiohttp adds the charset itself
        return web.bytes(generate_latest(registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        if ready():
            return web.json({"status": "ready"})
        return web.json({"status": "not ready"}, status=503)


def host_job(app: faust.App, job: Job, *, stop_when_done: bool = False) -> None:
    """Run ``job`` in a thread for as long as ``app`` runs. A job that raises crashes the app;
    one that returns on its own stops the app when ``stop_when_done`` (a bounded run)."""

    class HostedJob(mode.Service):
        _future: asyncio.Future[None] | None = None

        async def on_started(self) -> None:
            self._future = asyncio.get_running_loop().run_in_executor(None, job.run)
            self.add_future(self._watch(self._future))

        async def _watch(self, future: asyncio.Future[None]) -> None:
            try:
                await future
            except Exception as exc:
                log.error("%s stopped on a fatal error: %s", job.name, exc)
                await app.crash(exc)
                return
            if stop_when_done:
                # the same clean stop as a SIGTERM (the worker's own signal handler)
                os.kill(os.getpid(), signal.SIGTERM)

        async def on_stop(self) -> None:
            job.stop()
            if self._future is not None:
                await asyncio.wait([self._future], timeout=STOP_TIMEOUT_SECONDS)

    app.service(HostedJob)


def run_app(app: faust.App) -> int:
    """Run ``app`` in this process until it is stopped (SIGTERM, SIGINT) or crashes."""
    level = log_level()
    worker = faust.Worker(app, loglevel=level, quiet=True, logging_config=logging_config(level))
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
