"""How notifications are delivered (``QC_MONITOR_NOTIFY_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

FAILPOINTS = ("before_send", "after_send")


class NotifySettings(BaseSettings):
    """Tries, back-off and time limits of a delivery."""

    model_config = SettingsConfigDict(env_prefix="QC_MONITOR_NOTIFY_", extra="ignore")

    tries: int = Field(default=6, ge=1, le=50, description="tries of one delivery before it is recorded failed")
    backoff_s: float = Field(default=5, gt=0, description="the wait after the first failed try, doubled after each")
    backoff_max_s: float = Field(default=600, gt=0, description="the longest wait between two tries")
    timeout_s: float = Field(default=10, gt=0, description="one try's time to connect, send and hear the answer")
    lease_s: float = Field(
        default=60, gt=0,
        description="a delivery claimed and not recorded by then (its process died mid-send) is sent again; "
        "longer than a send takes (timeout_s)",
    )  # fmt: skip
    poll_s: float = Field(default=5, gt=0, description="how often due deliveries are looked for without a wake-up")
    batch: int = Field(default=50, ge=1, le=1000, description="sends under way at once")
    log_keep_s: float = Field(
        default=30 * 24 * 3600, gt=0, description="how long a finished delivery stays in the delivery log"
    )
    prune_every_s: float = Field(default=3600, gt=0, description="how often the delivery log is pruned")
    smtp_ca_file: Path | None = Field(
        default=None, description="a CA to trust for SMTP servers' certificates, beside the system's (a company CA)"
    )
    # Crash tests only: the worker stops its own process (SIGSTOP) just before a send, or just after the
    # receiver answered and before that is recorded, once per name in this list.
    failpoints: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> NotifySettings:
        if self.lease_s <= self.timeout_s:
            raise ValueError(f"lease_s ({self.lease_s}) must be longer than timeout_s ({self.timeout_s})")
        return self

    @field_validator("failpoints", mode="before")
    @classmethod
    def _comma_separated(cls, given: Any) -> Any:
        return [part.strip() for part in given.split(",") if part.strip()] if isinstance(given, str) else given
