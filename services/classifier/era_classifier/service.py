"""The classifier service's wiring: settings, the knowledge base with the configured fee
schedule and rules, the metrics registry, and the worker (the transactional loop from
``era.adjustments`` to ``era.adjustments.classified``) on the faust host."""

from __future__ import annotations

import sys

import faust
from prometheus_client import CollectorRegistry

from era_classifier.classification import Classifier
from era_classifier.fee_schedule import FeeScheduleError, load_fee_schedule
from era_classifier.kb import KnowledgeBaseError, load_knowledge_base
from era_classifier.links import FORWARDING_TOTAL_PREFIX, Linker, forwarding_balances
from era_classifier.metrics import ClassifierMetrics, ForwardingBalances
from era_classifier.overrides import OverrideError, load_overrides
from era_classifier.pending import PENDING_PREFIX, PendingItems
from era_classifier.settings import ClassifierSettings
from era_classifier.stage import ClassifierStage
from era_contract.topics import TopicNames
from era_kafka.clients import Codecs
from era_kafka.config import TopicSettings
from era_streams.host import run_app
from era_streams.state import TransactionalStore
from era_streams.worker import build_worker

SERVICE = "classifier"

CONFIGURATION_ERRORS = (KnowledgeBaseError, FeeScheduleError, OverrideError, ValueError, OSError)
"""What a bad configuration (a fee schedule, a rules file, a setting) raises at start."""


def build_classifier(settings: ClassifierSettings) -> Classifier:
    """The classifier with the packaged knowledge base and the configured fee schedule and
    rules; every file is validated here, at start, with errors naming file and line."""
    kb = load_knowledge_base()
    fee_schedule = load_fee_schedule(settings.fee_schedule) if settings.fee_schedule else None
    overrides = load_overrides(settings.rules, kb) if settings.rules else None
    return Classifier(
        kb, fee_schedule, overrides, underpayment_tolerance=settings.underpayment_tolerance
    )


def build_stage(
    settings: ClassifierSettings,
    metrics: ClassifierMetrics | None,
    store: TransactionalStore | None = None,
) -> ClassifierStage:
    """The classifier stage for the configured topics and wire codecs; with a ``store`` it
    links across files (its claim index in ``store``, PLB lookups through the lookup topic,
    PLB items waiting there for their claim up to ``link_grace_seconds``)."""
    names = TopicNames(TopicSettings().prefix)
    codecs = Codecs.from_env()
    waits = store is not None and settings.link_grace_seconds > 0
    return ClassifierStage(
        build_classifier(settings),
        decoder=codecs.adjustment,
        encoder=codecs.classified,
        output_topic=names.classified,
        metrics=metrics,
        linker=Linker(store) if store is not None else None,
        lookup_topic=names.classifier_lookup if store is not None else None,
        pending=PendingItems(store) if waits and store is not None else None,
        pending_keys=(
            (lambda partition: store.watched_keys(partition, PENDING_PREFIX))
            if store is not None
            else (lambda partition: ())
        ),
        grace_ms=int(settings.link_grace_seconds * 1000),
    )


def build_app(registry: CollectorRegistry | None = None) -> faust.App:
    """The hosted classifier worker, configured from the environment."""
    settings = ClassifierSettings()
    registry = registry or CollectorRegistry()
    metrics = ClassifierMetrics(registry)
    names = TopicNames(TopicSettings().prefix)
    store = (
        TransactionalStore(watch=(FORWARDING_TOTAL_PREFIX, PENDING_PREFIX))
        if settings.links
        else None
    )
    stage = build_stage(settings, metrics, store)
    if store is not None:
        registry.register(ForwardingBalances(lambda: forwarding_balances(store.watched())))
    return build_worker(
        name=SERVICE,
        app_id=settings.app_id,
        source_topic=names.adjustments,
        stage=stage,
        registry=registry,
        dead_letters=metrics.dead_letters,
        web_host=settings.metrics_host,
        web_port=settings.metrics_port,
        store=store,
        changelog_topic=names.classifier_changelog,
        extra_stages={names.classifier_lookup: stage.lookup} if store is not None else None,
        punctuate=stage.punctuate if stage.pending is not None else None,
    )


def main() -> int:
    """Run the classifier until SIGTERM/SIGINT; 2 on an invalid configuration."""
    try:
        app = build_app()
    except CONFIGURATION_ERRORS as exc:
        print(f"era worker {SERVICE}: invalid configuration: {exc}", file=sys.stderr)
        return 2
    return run_app(app)
