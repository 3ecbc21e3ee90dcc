"""Dashboard settings: loopback by default, the services' URLs from their own settings."""

from __future__ import annotations

import pytest

from era_dashboard.settings import DashboardSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ERA_PROMETHEUS_URL",
        "ERA_DASHBOARD_HOST",
        "ERA_DASHBOARD_PORT",
        "ERA_DASHBOARD_ROUTER_URL",
        "ERA_INGEST_METRICS_PORT",
        "ERA_INGEST_METRICS_HOST",
        "ERA_CLASSIFIER_METRICS_PORT",
        "ERA_ROUTER_METRICS_PORT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_loopback_and_the_local_ports() -> None:
    settings = DashboardSettings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8004)
    assert settings.prometheus_url is None
    assert settings.service_urls() == {
        "ingest": "http://127.0.0.1:8001",
        "classifier": "http://127.0.0.1:8002",
        "router": "http://127.0.0.1:8003",
    }


def test_service_urls_follow_the_services_settings_and_can_be_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ERA_INGEST_METRICS_PORT", "18001")
    monkeypatch.setenv("ERA_INGEST_METRICS_HOST", "0.0.0.0")
    monkeypatch.setenv("ERA_DASHBOARD_ROUTER_URL", "http://router.internal:9000/")
    monkeypatch.setenv("ERA_DASHBOARD_PORT", "18004")
    settings = DashboardSettings()
    assert settings.port == 18004
    assert settings.service_urls() == {
        "ingest": "http://127.0.0.1:18001",
        "classifier": "http://127.0.0.1:8002",
        "router": "http://router.internal:9000",
    }


def test_prometheus_url_from_era_prometheus_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERA_PROMETHEUS_URL", "http://127.0.0.1:9090")
    assert DashboardSettings().prometheus_url == "http://127.0.0.1:9090"
