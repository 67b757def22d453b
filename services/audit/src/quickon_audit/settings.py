"""The audit service's own settings (``QC_AUDIT_*``), beside the shared ones."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuditSettings(BaseSettings):
    """When checkpoints are made, which key signs them, how long entries are kept."""

    model_config = SettingsConfigDict(env_prefix="QC_AUDIT_", extra="ignore")

    checkpoint_every: int = Field(default=1000, ge=1, le=1_000_000, description="entries per checkpoint at most")
    checkpoint_interval_s: float = Field(default=60, gt=0, description="a checkpoint at least this often, if any entry")
    # base64 of a 32-byte Ed25519 seed; unset: var/audit/signing.key, made on first start.
    signing_key: SecretStr | None = None
    batch_size: int = Field(default=500, ge=1, le=5000, description="messages appended per transaction at most")
    ack_wait_s: float = Field(default=60, gt=0)
    # Unset: entries are kept for ever. Else whole segments older than this go, once checkpointed.
    retention_days: float | None = Field(default=None, gt=0)
    retention_check_s: float = Field(default=3600, gt=0)
    store_retry_s: float = Field(default=5, gt=0, description="how soon a checkpoint the store refused is retried")
