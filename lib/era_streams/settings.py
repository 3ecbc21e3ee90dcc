"""Settings every worker shares (``ERA_WORKER_`` prefix)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerSettings(BaseSettings):
    """Stream processing knobs shared by the classifier and the router."""

    model_config = SettingsConfigDict(env_prefix="ERA_WORKER_", extra="ignore")

    commit_interval_seconds: float = Field(
        default=0.1,
        gt=0,
        description="longest a transaction stays open under a backlog (a worker that has caught"
        " up commits at once)",
    )
    batch_size: int = Field(default=500, ge=1, description="records consumed per poll")
    instance_id: str | None = Field(
        default=None,
        description="stable name of this worker instance (transactional.id suffix);"
        " default hostname-pid",
    )
    session_timeout_seconds: float = Field(
        default=10.0, gt=0, description="how soon a dead worker's partitions move to another"
    )
