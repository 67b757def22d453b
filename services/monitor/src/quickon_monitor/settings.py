"""The monitor's own settings (``QC_MONITOR_*``), beside the shared ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MonitorSettings(BaseSettings):
    """Where Prometheus is, how often rules are evaluated and how hard Prometheus is asked."""

    model_config = SettingsConfigDict(env_prefix="QC_MONITOR_", extra="ignore")

    prometheus_url: str = Field(default="http://127.0.0.1:9090", description="the Prometheus the rules ask")
    evaluation_interval_s: float = Field(default=15, gt=0, le=3600, description="how often rules are evaluated")
    query_timeout_s: float = Field(default=10, gt=0, le=300, description="one PromQL query's time to answer")
    query_concurrency: int = Field(default=32, ge=1, le=512, description="queries of a round sent at once")
    lease_s: float | None = Field(
        default=None, gt=0, description="how long the evaluating replica's lease lasts; none: three intervals"
    )
    failpoint: str | None = Field(
        default=None, description="crash tests only: 'after_commit' freezes the process once a round that "
        "changed alerts has committed, before the relay can publish its events",
    )  # fmt: skip
