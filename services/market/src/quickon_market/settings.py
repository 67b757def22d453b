"""The market's own settings (``QC_MARKET_*``), beside the shared ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class MarketSettings(BaseSettings):
    """Limits and locations of the market service."""

    model_config = SettingsConfigDict(env_prefix="QC_MARKET_", extra="ignore")

    builtin_catalog: Path = Field(default=Path("catalog"), description="the built-in repository; 'off' disables it")
    refresh_interval_s: float = Field(default=3600, ge=10, description="how often every repository is re-read")
    max_index_bytes: int = 256 << 20
    max_chart_bytes: int = Field(default=4 << 20, description="largest packaged chart read or published")
    max_chart_files: int = 5000
    max_unpacked_bytes: int = 50 << 20
    values_check_timeout_s: float = Field(
        default=10, gt=0, description="a check of values against a chart's schema given up after this (422)"
    )
    version_added_events_max: int = Field(default=500, description="AppVersionAdded events one sync may emit")
    scan_queue_max: int = Field(
        default=1000, ge=1, description="chart versions waiting for a background scan; beyond, scanned when asked"
    )
    scan_timeout_s: float = Field(default=300, gt=0, description="helm template or trivy given up after this")
    # What a repository may point at (quickon_market.egress). Comma-separated in the environment.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="host names and CIDRs a repository may reach though not public: charts.internal, 10.0.0.0/8",
    )
    local_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="directories under which local repositories may be added; none by default"
    )

    @field_validator("allowed_hosts", "local_roots", mode="before")
    @classmethod
    def _comma_separated(cls, given: Any) -> Any:
        return [part.strip() for part in given.split(",") if part.strip()] if isinstance(given, str) else given
