"""Dashboard settings (``ERA_DASHBOARD_`` prefix; ``ERA_PROMETHEUS_URL`` for a Prometheus)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = ("ingest", "classifier", "router")
_DEFAULT_PORTS = {"ingest": 8001, "classifier": 8002, "router": 8003}


def _service_url(service: str) -> str:
    """Where ``service`` serves its metrics, from the service's own ``ERA_<SVC>_METRICS_HOST``
    and ``_PORT`` (so one environment configures both sides); a wildcard host means loopback."""
    prefix = f"ERA_{service.upper()}_METRICS_"
    host = os.environ.get(prefix + "HOST", "127.0.0.1")
    if host in ("", "0.0.0.0", "::"):  # a listen-all address: reach it on loopback
        host = "127.0.0.1"
    port = os.environ.get(prefix + "PORT", str(_DEFAULT_PORTS[service]))
    return f"http://{host}:{port}"


class DashboardSettings(BaseSettings):
    """Where the page listens, what it reads and how often."""

    model_config = SettingsConfigDict(
        env_prefix="ERA_DASHBOARD_", extra="ignore", populate_by_name=True
    )

    host: str = Field(default="127.0.0.1", description="listen address (loopback by default)")
    port: int = Field(default=8004, ge=0, le=65535, description="listen port (0: any free one)")
    ingest_url: str | None = Field(
        default=None, description="base URL of ingest's /metrics (default from its settings)"
    )
    classifier_url: str | None = None
    router_url: str | None = None
    prometheus_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ERA_PROMETHEUS_URL", "ERA_DASHBOARD_PROMETHEUS_URL"),
        description="read every metric from this Prometheus instead of the services",
    )
    refresh_seconds: float = Field(default=2.0, gt=0, description="poll and page refresh")
    history_seconds: float = Field(default=600.0, gt=0, description="how far the charts go back")
    inbox: Path = Field(
        default_factory=lambda: Path(os.environ.get("ERA_INGEST_INBOX", "var/inbox")),
        description="the ingest drop folder, for the last files' names and outcomes",
    )
    recent_files: int = Field(default=8, ge=0, description="how many file names to show")
    timeout_seconds: float = Field(default=2.0, gt=0, description="per scrape or probe")

    @model_validator(mode="after")
    def _default_urls(self) -> DashboardSettings:
        for service in SERVICES:
            if getattr(self, f"{service}_url") is None:
                setattr(self, f"{service}_url", _service_url(service))
        return self

    def service_urls(self) -> dict[str, str]:
        """Service name → base URL (no trailing slash)."""
        return {s: str(getattr(self, f"{s}_url")).rstrip("/") for s in SERVICES}
