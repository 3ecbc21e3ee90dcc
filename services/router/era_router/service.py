"""The router service's wiring: settings, the routing rules with their due-date windows, the
metrics registry, and the worker (the transactional loop from ``era.adjustments.classified`` to
one ``era.route.*`` topic per adjustment) on the faust host."""

from __future__ import annotations

import sys

import faust
from prometheus_client import CollectorRegistry

from era_analytics.locations import LocationLabels, LocationMap
from era_contract.topics import TopicNames
from era_kafka.clients import Codecs
from era_kafka.config import TopicSettings
from era_router.metrics import RouterMetrics
from era_router.routing import Router
from era_router.settings import RouterSettings
from era_router.stage import RouterStage
from era_streams.host import run_app
from era_streams.worker import build_worker

SERVICE = "router"


def build_router(settings: RouterSettings) -> Router:
    """The routing rules with the configured due-date windows."""
    return Router(
        default_appeal_days=settings.appeal_days,
        appeal_days_by_payer=settings.appeal_days_by_payer,
        follow_up_days=settings.follow_up_days,
        next_payer_days=settings.next_payer_days,
    )


def build_stage(settings: RouterSettings, metrics: RouterMetrics | None) -> RouterStage:
    """The router stage for the configured topics and wire codec."""
    names = TopicNames(TopicSettings().prefix)
    locations = LocationLabels(LocationMap.load(settings.locations), settings.location_label_cap)
    return RouterStage(
        build_router(settings),
        codec=Codecs.from_env().classified,
        topics=names,
        metrics=metrics,
        locations=locations,
    )


def build_app(registry: CollectorRegistry | None = None) -> faust.App:
    """The hosted router worker, configured from the environment."""
    settings = RouterSettings()
    registry = registry or CollectorRegistry()
    metrics = RouterMetrics(registry)
    return build_worker(
        name=SERVICE,
        app_id=settings.app_id,
        source_topic=TopicNames(TopicSettings().prefix).classified,
        stage=build_stage(settings, metrics),
        registry=registry,
        dead_letters=metrics.dead_letters,
        web_host=settings.metrics_host,
        web_port=settings.metrics_port,
    )


def main() -> int:
    """Run the router until SIGTERM/SIGINT; 2 on an invalid configuration."""
    try:
        app = build_app()
    except (ValueError, OSError) as exc:  # LocationFileError is a ValueError
        print(f"era worker {SERVICE}: invalid configuration: {exc}", file=sys.stderr)
        return 2
    return run_app(app)
