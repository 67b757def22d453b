"""The backup service's own settings (``QC_BACKUP_*``), beside the shared ones (store: ``Settings``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BackupSettings(BaseSettings):
    """Deadlines, how often schedules are looked at, and how the deployer is asked."""

    model_config = SettingsConfigDict(env_prefix="QC_BACKUP_", extra="ignore")

    backup_deadline_s: float = Field(default=6 * 3600, gt=0, description="a backup not done by then fails")
    restore_deadline_s: float = Field(default=6 * 3600, gt=0)
    verify_deadline_s: float = Field(default=6 * 3600, gt=0)
    compensation_s: float = Field(default=600, gt=0, description="the budget of undoing a failed restore")
    schedule_interval_s: float = Field(default=30, gt=0, description="how often due schedules are looked for")
    deployer_timeout_s: float = Field(default=30, gt=0, description="a deployer query's time to answer")
    stop_ahead_s: float = Field(
        default=2.0, ge=0,
        description="a restore asks for the service's stop when about this much of its staging is left: "
        "the stop overlaps the staging, and the service is down at most this much longer",
    )  # fmt: skip
    stop_ahead_pace_mb_s: float = Field(
        default=32, gt=0,
        description="a slow staging pace: a restore small enough to stage within stop_ahead_s even at this "
        "pace asks for the stop at once, without waiting for the store's first bytes to judge its pace",
    )  # fmt: skip
    chunk_size: int = Field(default=4 << 20, ge=64 << 10, le=64 << 20, description="bytes read at a time")
    parallel_jobs: int = Field(default=4, ge=1, le=64, description="backups and restores run at once")
