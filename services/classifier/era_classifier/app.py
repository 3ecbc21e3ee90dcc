"""Classifier wiring: the knowledge base, optional fee schedule and rules, and the faust worker
that reads ``era.adjustments`` and writes ``era.adjustments.classified``."""

from __future__ import annotations

import faust
from prometheus_client import CollectorRegistry

from era_classifier.classification import Classifier
from era_classifier.fee_schedule import load_fee_schedule
from era_classifier.kb import load_knowledge_base
from era_classifier.metrics import ClassifierMetrics
from era_classifier.overrides import load_overrides
from era_classifier.settings import ClassifierSettings
from era_classifier.stage import ClassifierStage
from era_contract.topics import TopicNames
from era_kafka.clients import Codecs
from era_kafka.config import TopicSettings
from era_streams.app import build_worker

SERVICE = "classifier"


def build_classifier(settings: ClassifierSettings) -> Classifier:
    """The classifier with the packaged knowledge base and the configured fee schedule and
    rules; every file is validated here, at start, with errors naming file and line."""
    kb = load_knowledge_base()
    fee_schedule = load_fee_schedule(settings.fee_schedule) if settings.fee_schedule else None
    overrides = load_overrides(settings.rules, kb) if settings.rules else None
    return Classifier(
        kb, fee_schedule, overrides, underpayment_tolerance=settings.underpayment_tolerance
    )


def create_app(registry: CollectorRegistry | None = None) -> faust.App:
    """The classifier's faust app, configured from the environment."""
    settings = ClassifierSettings()
    names = TopicNames(TopicSettings().prefix)
    registry = registry or CollectorRegistry()
    metrics = ClassifierMetrics(registry)
    codecs = Codecs.from_env()
    stage = ClassifierStage(
        build_classifier(settings),
        decoder=codecs.adjustment,
        encoder=codecs.classified,
        output_topic=names.classified,
        metrics=metrics,
    )
    return build_worker(
        name=SERVICE,
        app_id=settings.app_id,
        source_topic=names.adjustments,
        stage=stage,
        registry=registry,
        dead_letters=metrics.dead_letters,
        web_host=settings.metrics_host,
        web_port=settings.metrics_port,
    )
