"""Ingest service settings (``ERA_INGEST_`` prefix)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseSettings):
    """How the ingest service publishes files and watches its drop folder."""

    model_config = SettingsConfigDict(env_prefix="ERA_INGEST_", extra="ignore")

    transactional_id: str | None = Field(
        default=None,
        description="Kafka transactional.id; default derived from the inputs or the inbox path,"
        " so a restarted ingest fences and aborts the transaction its crashed run left open.",
    )
    transaction_timeout_ms: int = Field(default=300_000, ge=1_000)
    transaction_max_adjustments: int = Field(
        default=100_000,
        ge=1,
        description="a file with more adjustments is published in several Kafka transactions,"
        " committed at transaction-set boundaries and resumed from the last one after a crash",
    )
    transaction_max_seconds: float = Field(
        default=60.0,
        gt=0,
        description="likewise when a file's open transaction is older than this (keep it well"
        " under transaction_timeout_ms)",
    )
    publish_attempts: int = Field(
        default=5, ge=1, description="tries per file when Kafka fails its transaction"
    )
    write_stall_max_seconds: float = Field(
        default=300.0,
        gt=0,
        description="how long one blocking Kafka call (commit, init, abort) is retried with"
        " backoff while the cluster cannot take writes, before the attempt fails",
    )
    delivery_stall_seconds: float = Field(
        default=60.0,
        gt=0,
        description="a file's transaction with messages outstanding and none delivered for this"
        " long is given up (never committed) and the file published again on a new producer"
        " with the same transactional.id, instead of waiting out the 300 s message timeout",
    )
    inbox: Path = Path("var/inbox")
    poll_seconds: float = Field(default=1.0, gt=0)
    stable_seconds: float = Field(
        default=2.0, ge=0, description="a file is complete when unchanged for this long"
    )
    max_file_bytes: int = Field(default=2 * 1024**3, ge=1)
    strict_envelope: bool = Field(
        default=False,
        description="reject transaction sets whose SE01/SE02 are wrong and count wrong GE/IEA"
        " trailers as errors (X12's own rule); off, such files are read whole with a warning",
    )
    locations: Path | None = Field(
        default=None,
        description="CSV naming the payee NPIs (npi,name[,tin]): the `location` label of the"
        " denial metrics and `era report` (docs/observability.md, Denial analytics)",
    )
    location_label_cap: int = Field(
        default=50,
        ge=0,
        description="how many unmapped payee NPIs become their own `location` label value;"
        " the ones beyond collapse to `other`",
    )
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 8001
