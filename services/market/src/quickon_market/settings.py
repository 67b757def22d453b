"""The market's own settings (``QC_MARKET_*``), beside the shared ones."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MarketSettings(BaseSettings):
    """Limits and locations of the market service."""

    model_config = SettingsConfigDict(env_prefix="QC_MARKET_", extra="ignore")

    builtin_catalog: Path = Field(default=Path("catalog"), description="the built-in repository; 'off' disables it")
    refresh_interval_s: float = Field(default=3600, ge=10, description="how often every repository is re-read")
    max_index_bytes: int = 256 << 20
    max_chart_bytes: int = Field(default=4 << 20, description="largest packaged chart read or published")
    max_chart_files: int = 5000
    max_unpacked_bytes: int = 50 << 20
    version_added_events_max: int = Field(default=500, description="AppVersionAdded events one sync may emit")
