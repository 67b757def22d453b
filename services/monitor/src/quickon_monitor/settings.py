"""The monitor's own settings (``QC_MONITOR_*``), beside the shared ones."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from quickon_common.settings import SERVICES, load_settings

from .scrape import ScrapeTargets


class MonitorSettings(BaseSettings):
    """Where the metrics live, how often rules are evaluated and how hard Prometheus is asked, and on
    embedded defaults what Prometheus scrapes."""

    model_config = SettingsConfigDict(env_prefix="QC_MONITOR_", extra="ignore", populate_by_name=True)

    prometheus_url: str = Field(
        default="http://127.0.0.1:9090",
        description="the Prometheus the monitor queries: the operator's, or the one qc up runs",
    )
    # Set by qc up (embedded defaults): the monitor writes Prometheus' configuration there and reloads it.
    # Unset (the operator's Prometheus), the monitor writes nothing: the operator decides what is scraped.
    prometheus_config: Path | None = None
    node_exporter: str | None = Field(default=None, description="host:port of the host's node-exporter, if any")
    nats_monitor_url: str | None = Field(
        default=None, description="nats-server's monitoring endpoint (http://host:8222), watched as series; "
        "qc up sets it for the server it runs",
    )  # fmt: skip
    scrape_interval_s: float = Field(default=15, gt=0, le=3600)
    config_check_s: float = Field(
        default=10, gt=0, description="how often the configuration and Prometheus are checked"
    )
    evaluation_interval_s: float = Field(default=15, gt=0, le=3600, description="how often rules are evaluated")
    query_timeout_s: float = Field(default=10, gt=0, le=300, description="one PromQL query's time to answer")
    query_concurrency: int = Field(default=32, ge=1, le=512, description="queries of a round sent at once")
    failpoint: str | None = Field(
        default=None, description="crash tests only: 'after_commit' freezes the process once a round that "
        "changed alerts has committed, before the relay can publish its events",
    )  # fmt: skip
    # What the rest of the platform runs with (the same environment): which runtime, and the gateway's
    # internal port, the one where its /metrics are served without a token.
    runtime: str = Field(default="sim", validation_alias="QC_RUNTIME")
    gateway_internal_port: int | None = Field(default=None, validation_alias="QC_GATEWAY_INTERNAL_PORT")

    def scrape_targets(self) -> ScrapeTargets:
        """Where each platform service serves /metrics: the same QC_<SERVICE>_HTTP_HOST/PORT it listens on (qc up
        gives every service one environment). The gateway's public port shows metrics to admins only: it is
        scraped on its internal port, or not at all."""
        platform = {}
        for name in SERVICES:
            own = load_settings(name)
            port = self.gateway_internal_port if name == "gateway" else own.http_port
            if port is not None:
                platform[name] = f"{_connectable(own.http_host)}:{port}"
        deployer = platform.get("deployer")
        return ScrapeTargets(
            platform=platform, node_exporter=self.node_exporter, sim_cluster=deployer if self.runtime == "sim" else None
        )


def _connectable(host: str) -> str:
    """An address to reach a listener bound to ``host`` (one bound to every interface answers on loopback)."""
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
