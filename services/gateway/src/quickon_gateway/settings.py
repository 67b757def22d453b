"""The gateway's own settings (``QC_GATEWAY_*``, and ``QC_ADMIN_PASSWORD``), beside the shared ones."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024
GIB = 1024 * MIB


class GatewaySettings(BaseSettings):
    """Who the first admin is, how long logins last, how long a read may wait, how big a body may be."""

    model_config = SettingsConfigDict(env_prefix="QC_GATEWAY_", extra="ignore", populate_by_name=True)

    admin_password: str | None = Field(
        default=None,
        validation_alias="QC_ADMIN_PASSWORD",
        description="the first admin's password; unset: one is generated at first start and printed once",
    )
    session_ttl_s: float = Field(default=12 * 3600, gt=0, description="how long a login's token lasts")
    # How long a checked token (and the teams) are kept without the database; any iam event drops them at once
    # on every replica, and nothing is kept while a replica cannot hear those events.
    token_cache_s: float = Field(default=5, ge=0)
    # How long an answer of the market's catalog is served from memory (market events drop it sooner).
    catalog_cache_s: float = Field(default=5, ge=0)
    # How long the dashboard's overview (services by status, the cluster's resources) is served from memory, per
    # set of teams asking; any deploy event drops it sooner. 0: asked of the deployer every time.
    overview_cache_s: float = Field(default=5, ge=0)
    # An operation with no news for this long is failed as unanswered. Longer than any owner's own
    # deadline (a backup may take 6 h), so one its owner still works on is never ended here.
    operation_deadline_s: float = Field(
        default=7 * 3600, gt=0, description="an operation with no news for this long fails: 'no answer from <service>'"
    )
    query_timeout_s: float = Field(default=5, gt=0, description="a read not answered by then fails: 503")
    # A request's values travel in its event, which must fit a NATS message (1 MB by default) with room
    # for the envelope and sealed secrets; charts, larger, go by reference (max_chart_bytes).
    max_body_bytes: int = Field(default=MIB // 2, ge=1024)
    # A chart crosses NATS to the market by reference (quickon_common.blobs), so no message limit caps it;
    # 10 MiB is what qc publish sends at most.
    max_chart_bytes: int = Field(default=10 * MIB, ge=1024)
    # A bundle (qc import) crosses NATS to the backup service by reference too; it holds a service's data,
    # so it may be large. Spooled to spool_dir on its way, streamed, never held in memory.
    import_max_bytes: int = Field(
        default=20 * GIB, ge=1024, description="the largest bundle POST /api/v1/imports takes (413 beyond)"
    )
    spool_dir: Path | None = Field(
        default=None,
        description="where uploaded and downloaded bundles are spooled on their way; unset: the system's temp dir",
    )

    # Limits on abuse (quickon_gateway.limits, auth.throttle, guard). Generous: a person or a script at
    # work never meets them; a loop guessing passwords or hammering the API does.
    rate_per_s: float = Field(
        default=50, gt=0, description="requests per second per token (or per address without one)"
    )
    rate_burst: int = Field(default=500, ge=1, description="requests a token may send at once before the rate applies")
    login_free_failures: int = Field(default=3, ge=0, description="failed logins of a username before it backs off")
    login_free_failures_per_address: int = Field(default=20, ge=0, description="the same, per client address")
    login_backoff_base_s: float = Field(default=1, gt=0, description="the first back-off, doubled per failure")
    login_backoff_max_s: float = Field(default=300, gt=0, description="the longest back-off")
    password_checks_at_once: int = Field(default=4, ge=1, description="Argon2 checks run together (64 MiB each)")
    password_checks_waiting: int = Field(default=16, ge=0, description="logins that may wait for one; more: 503")
    internal_port: int | None = Field(
        default=None,
        description="a second listener on http_host with /metrics and /readyz's reasons; the public port has "
        "neither (bare /readyz; /metrics for admins)",
    )
    console_dir: Path | None = Field(
        default=None, description="the built console (index.html, assets/); unset: web/dist of this checkout"
    )
