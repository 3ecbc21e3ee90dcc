"""The ingest service's wiring: settings, the transactional publisher, the metrics registry and
either a one-shot run over files or the drop-folder watcher on the faust host.

``python -m era_ingest [DIR]`` and ``era ingest --watch DIR`` run :func:`watch`;
``era ingest FILE|DIR...`` runs :func:`publish_files`.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaException
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from era_analytics.locations import LocationFileError
from era_contract.phi import PhiSettings
from era_contract.topics import TopicNames
from era_ingest.inbox import Inbox
from era_ingest.metrics import IngestMetrics
from era_ingest.publisher import IngestError, IngestPublisher, transactional_id_for
from era_ingest.records import exit_status, stderr_line
from era_ingest.settings import IngestSettings
from era_ingest.watcher import InboxWatcher
from era_kafka.clients import Codecs
from era_kafka.config import KafkaSettings, TopicSettings
from era_kafka.reader import TopicReadError
from era_streams.host import add_health_pages, host_job, make_app, run_app
from era_streams.logs import configure_logging

SERVICE = "ingest"
log = logging.getLogger("era.ingest")


def _publisher(scope: str, paths: list[Path], registry: CollectorRegistry) -> IngestPublisher:
    """The publisher of one ingest scope (``watch`` an inbox, or a ``cli`` run over files);
    raises ``ValidationError`` on an invalid configuration."""
    settings, phi, topic_settings = IngestSettings(), PhiSettings(), TopicSettings()
    topics = TopicNames(topic_settings.prefix)
    transactional_id = settings.transactional_id or transactional_id_for(
        topics.prefix, scope, paths
    )
    return IngestPublisher(
        kafka=KafkaSettings(),
        topics=topics,
        codecs=Codecs.from_env(),
        settings=settings,
        metrics=IngestMetrics(registry),
        transactional_id=transactional_id,
        phi=phi,
    )


def input_files(paths: list[Path]) -> list[Path]:
    """``paths`` with every directory replaced by its regular files, sorted by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.is_symlink()))
        else:
            files.append(path)
    return files


def publish_files(paths: list[Path]) -> int:
    """Publish every file of ``paths`` (files or folders), each in its own transaction, and
    print one line per file. Exit status: 0 when every file was accepted or already published
    (warnings included), 1 when a file or set was rejected or an error reported
    (:func:`~era_ingest.records.exit_status`), 2 for configuration errors, unreadable files
    and Kafka failures."""
    configure_logging()
    files = input_files(paths)
    try:
        publisher = _publisher("cli", files, CollectorRegistry())
    except (ValidationError, LocationFileError) as exc:
        print(f"era ingest: invalid configuration: {exc}", file=sys.stderr)
        return 2
    try:
        publisher.start()
    except (KafkaException, TopicReadError) as exc:
        print(f"era ingest: cannot start: {exc}", file=sys.stderr)
        return 2
    try:
        return _publish_each(publisher, files)
    finally:
        publisher.close()


def _publish_each(publisher: IngestPublisher, files: list[Path]) -> int:
    status = 0
    for path in files:
        if not path.is_file():
            print(f"{path}:0: not a readable file", file=sys.stderr)
            status = 2
            continue
        try:
            report = publisher.publish(path)
        except IngestError as exc:
            print(f"era ingest: {exc}", file=sys.stderr)
            status = max(status, 2 if exc.retriable else 1)  # Kafka failed, or the parser
            continue
        for problem in report.problems:
            print(stderr_line(problem), file=sys.stderr)
        note = f" (already published as {report.duplicate_of})" if report.duplicate_of else ""
        print(
            f"{path}\t{report.outcome}\t{report.adjustments} adjustments, {report.claims} claims,"
            f" {report.remittances} remittances{note}"
        )
        status = max(status, exit_status(report))
    log.debug("published %d files", len(files))
    return status


@dataclass
class WatchJob:
    """The drop-folder service as the host runs it: fence the producer and load the ledger
    (then it is ready), watch the inbox until stopped, release the producer."""

    publisher: IngestPublisher
    watcher: InboxWatcher
    max_seconds: float | None = None
    name: str = SERVICE
    ready: bool = False

    def run(self) -> None:
        """Start the publisher, then watch until :meth:`stop` (or ``max_seconds``)."""
        self.publisher.start()
        self.ready = True
        try:
            self.watcher.run(max_seconds=self.max_seconds)
        finally:
            self.ready = False
            self.publisher.close()

    def stop(self) -> None:
        """Finish the current file, then return from :meth:`run`."""
        self.watcher.stop()


def watch(inbox: Path, *, max_seconds: float | None = None) -> int:
    """Run the drop-folder service on ``inbox`` until SIGTERM/SIGINT (or ``max_seconds``)."""
    registry = CollectorRegistry()
    try:
        settings = IngestSettings()
        publisher = _publisher("watch", [inbox], registry)
    except (ValidationError, LocationFileError) as exc:
        print(f"era ingest: invalid configuration: {exc}", file=sys.stderr)
        return 2
    watcher = InboxWatcher(
        publisher, Inbox(inbox, stable_seconds=settings.stable_seconds), settings.poll_seconds
    )
    job = WatchJob(publisher, watcher, max_seconds)
    app = make_app(
        f"{publisher.topics.prefix}-{SERVICE}",
        web_host=settings.metrics_host,
        web_port=settings.metrics_port,
    )
    host_job(app, job, stop_when_done=max_seconds is not None)
    add_health_pages(app, registry, ready=lambda: job.ready and not publisher.stall.stalled)
    return run_app(app)


def main(argv: list[str] | None = None) -> int:
    """``python -m era_ingest [DIR]``: the drop-folder service on DIR (default the
    ``ERA_INGEST_INBOX`` setting)."""
    arguments = sys.argv[1:] if argv is None else argv
    inbox = Path(arguments[0]) if arguments else IngestSettings().inbox
    return watch(inbox)
