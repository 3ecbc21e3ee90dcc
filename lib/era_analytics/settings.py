"""The denial-rate signal (``ERA_DENIAL_`` prefix)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DenialSettings(BaseSettings):
    """The threshold above which a group's denial rate signals an upstream problem."""

    model_config = SettingsConfigDict(env_prefix="ERA_DENIAL_", extra="ignore")

    rate_threshold: float = Field(
        default=0.08,
        ge=0,
        le=1,
        description="ERA_DENIAL_RATE_THRESHOLD: `era report` marks rows above it"
        " (`above_threshold`); the EraLocationDenialRateHigh alert uses the same 8% literal",
    )
