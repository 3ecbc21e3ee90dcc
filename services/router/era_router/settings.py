"""Router service settings (``ERA_ROUTER_`` prefix)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RouterSettings(BaseSettings):
    """Due-date windows and where the router listens."""

    model_config = SettingsConfigDict(env_prefix="ERA_ROUTER_", extra="ignore")

    appeal_days: int = Field(default=90, ge=0, description="default appeal window")
    appeal_days_by_payer: dict[str, int] = Field(
        default_factory=dict, description='JSON, e.g. {"CDCA1": 180}'
    )
    follow_up_days: int = Field(default=30, ge=0, description="cob_rebill follow-up window")
    next_payer_days: int = Field(
        default=30,
        ge=0,
        description="follow-up window for the patient's share of a forwarded claim "
        "(await_next_payer): how long the next payer gets to answer",
    )
    locations: Path | None = Field(
        default=None,
        description="CSV naming the payee NPIs (npi,name[,tin]), the same file as"
        " ERA_INGEST_LOCATIONS: the `location` label of the appeals-due gauges",
    )
    location_label_cap: int = Field(
        default=50, ge=0, description="unmapped NPIs beyond this many are labelled `other`"
    )
    app_id: str | None = None
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 8003
