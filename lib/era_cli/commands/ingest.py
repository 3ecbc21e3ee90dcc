"""`era ingest FILE|DIR...` and `era ingest --watch DIR`: publish ERA files to Kafka."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from era_cli.observability import configure_logging, serve_metrics
from era_contract.phi import PhiSettings
from era_contract.topics import TopicNames
from era_ingest.app import IngestError, IngestPublisher, transactional_id_for
from era_ingest.inbox import Inbox
from era_ingest.metrics import IngestMetrics
from era_ingest.settings import IngestSettings
from era_ingest.watcher import InboxWatcher, install_stop_handlers
from era_kafka.clients import Codecs
from era_kafka.config import KafkaSettings, TopicSettings
from era_kafka.reader import TopicReadError


def register(subparsers: Any) -> None:
    """Add the ``ingest`` command."""
    parser = subparsers.add_parser(
        "ingest",
        help="publish ERA files to Kafka (one transaction per file), or watch a drop folder",
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="FILE|DIR")
    parser.add_argument(
        "--watch",
        type=Path,
        metavar="DIR",
        help="run the drop-folder service on DIR (files move to DIR/done or DIR/rejected)",
    )
    parser.add_argument(
        "--max-seconds", type=float, help=argparse.SUPPRESS
    )  # bounded runs for tests and demos
    parser.set_defaults(func=run)


def _inputs(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.is_symlink()))
        else:
            files.append(path)
    return files


def run(args: argparse.Namespace) -> int:
    """Publish the given files, or watch a folder until stopped."""
    configure_logging()
    if bool(args.paths) == bool(args.watch):
        print("era ingest: give FILE|DIR arguments or --watch DIR (not both)", file=sys.stderr)
        return 2
    try:
        settings, phi, topic_settings = IngestSettings(), PhiSettings(), TopicSettings()
    except ValidationError as exc:
        print(f"era ingest: invalid configuration: {exc}", file=sys.stderr)
        return 2
    topics = TopicNames(topic_settings.prefix)
    registry = CollectorRegistry()
    metrics = IngestMetrics(registry)
    scope_paths = [args.watch] if args.watch else _inputs(args.paths)
    transactional_id = settings.transactional_id or transactional_id_for(
        topics.prefix, "watch" if args.watch else "cli", scope_paths
    )
    publisher = IngestPublisher(
        kafka=KafkaSettings(),
        topics=topics,
        codecs=Codecs.from_env(),
        settings=settings,
        metrics=metrics,
        transactional_id=transactional_id,
        phi=phi,
    )
    started = threading.Event()
    if args.watch:
        serve_metrics(
            registry,
            settings.metrics_host,
            settings.metrics_port,
            lambda: started.is_set() and not publisher.stall.stalled,
        )
    try:
        publisher.start()
    except (KafkaException, TopicReadError) as exc:
        print(f"era ingest: cannot start: {exc}", file=sys.stderr)
        return 1
    started.set()  # ready: producer fenced in, ledger loaded
    try:
        if args.watch:
            watcher = InboxWatcher(
                publisher,
                Inbox(args.watch, stable_seconds=settings.stable_seconds),
                settings.poll_seconds,
            )
            install_stop_handlers(watcher)
            watcher.run(max_seconds=args.max_seconds)
            return 0
        return _publish_files(publisher, scope_paths)
    finally:
        publisher.close()


def _publish_files(publisher: IngestPublisher, files: list[Path]) -> int:
    status = 0
    for path in files:
        if not path.is_file():
            print(f"{path}:0: not a readable file", file=sys.stderr)
            status = 1
            continue
        try:
            report = publisher.publish(path)
        except IngestError as exc:
            print(f"era ingest: {exc}", file=sys.stderr)
            status = 1
            continue
        for problem in report.problems:
            print(problem, file=sys.stderr)
        note = f" (already published as {report.duplicate_of})" if report.duplicate_of else ""
        print(
            f"{path}\t{report.outcome}\t{report.adjustments} adjustments, {report.claims} claims,"
            f" {report.remittances} remittances{note}"
        )
        if report.outcome not in ("accepted", "duplicate") or report.problems:
            status = 1
    logging.getLogger("era.ingest").debug("published %d files", len(files))
    return status
