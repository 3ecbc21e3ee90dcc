"""Router wiring: the faust worker that reads ``era.adjustments.classified`` and writes each
adjustment to exactly one ``era.route.*`` topic."""

from __future__ import annotations

import faust
from prometheus_client import CollectorRegistry

from era_contract.topics import TopicNames
from era_kafka.clients import Codecs
from era_kafka.config import TopicSettings
from era_router.metrics import RouterMetrics
from era_router.routing import Router
from era_router.settings import RouterSettings
from era_router.stage import RouterStage
from era_streams.app import build_worker

SERVICE = "router"


def build_router(settings: RouterSettings) -> Router:
    """The routing rules with the configured due-date windows."""
    return Router(
        default_appeal_days=settings.appeal_days,
        appeal_days_by_payer=settings.appeal_days_by_payer,
        follow_up_days=settings.follow_up_days,
        next_payer_days=settings.next_payer_days,
    )


def create_app(registry: CollectorRegistry | None = None) -> faust.App:
    """The router's faust app, configured from the environment."""
    settings = RouterSettings()
    names = TopicNames(TopicSettings().prefix)
    registry = registry or CollectorRegistry()
    metrics = RouterMetrics(registry)
    stage = RouterStage(
        build_router(settings), codec=Codecs.from_env().classified, topics=names, metrics=metrics
    )
    return build_worker(
        name=SERVICE,
        app_id=settings.app_id,
        source_topic=names.classified,
        stage=stage,
        registry=registry,
        dead_letters=metrics.dead_letters,
        web_host=settings.metrics_host,
        web_port=settings.metrics_port,
    )
