"""Classifier service settings (``ERA_CLASSIFIER_`` prefix)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ClassifierSettings(BaseSettings):
    """What the classifier knows beyond the code lists, and where it listens."""

    model_config = SettingsConfigDict(env_prefix="ERA_CLASSIFIER_", extra="ignore")

    fee_schedule: Path | None = Field(
        default=None, description="CSV of contracted allowed amounts (docs/fee-schedule.md)"
    )
    rules: Path | None = Field(default=None, description="deployment overrides (docs/rules.md)")
    underpayment_tolerance: Decimal = Field(default=Decimal(0), ge=0)
    app_id: str | None = Field(default=None, description="faust app id / consumer group")
    links: bool = Field(
        default=True,
        description="link across files (a claim index in era.classifier.claim-index-changelog, "
        "PLB lookups through era.classifier.claim-lookup); false: link fields stay null",
    )
    link_grace_seconds: float = Field(
        default=300.0,
        ge=0,
        description="how long a PLB item that names no claim seen yet waits at most at its "
        "lookup partition for the claim (it leaves unmatched as soon as the consumer group has "
        "processed past its ingest time); 0: it goes on unmatched at once",
    )
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 8002
