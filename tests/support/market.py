"""Running the market service in the test's event loop."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from quickon_common.service import Service
from quickon_market.app import Market, build
from quickon_market.settings import MarketSettings
from support.bus import eventually, query, settings_for

# What an admin of a test platform allows: repositories served by the test on this machine, and local
# ones the test wrote under the temporary directory. The rule itself stays (see test_repository_egress).
TRUSTED: dict[str, Any] = {"allowed_hosts": ["127.0.0.1"], "local_roots": [Path(tempfile.gettempdir())]}


def market_service(
    nats_url: str, database_url: str, var_dir: Path, *, builtin: Path | str = "off", **limits: Any
) -> Service:
    """The market on the test's NATS and database; the built-in catalog only when asked."""
    return market_parts(nats_url, database_url, var_dir, builtin=builtin, **limits).service


def market_parts(
    nats_url: str, database_url: str, var_dir: Path, *, builtin: Path | str = "off", **limits: Any
) -> Market:
    """As :func:`market_service`, with the catalog and syncer at hand for a test to drive."""
    market = MarketSettings(builtin_catalog=Path(str(builtin)), **{**TRUSTED, **limits})
    return build(settings_for("market", nats_url=nats_url, database_url=database_url, var_dir=var_dir), market)


async def ask(nats_url: str, name: str, **body: Any) -> dict[str, Any]:
    """A market query's answer."""
    return await query(nats_url, f"qc.query.market.{name}", body)


async def repository_state(nats_url: str, name: str) -> dict[str, Any] | None:
    for repository in (await ask(nats_url, "repositories"))["repositories"]:
        if repository["name"] == name:
            return dict(repository)
    return None


async def wait_repository(
    nats_url: str, name: str, status: str, *, apps: int | None = None, timeout_s: float = 60
) -> dict[str, Any]:
    """Wait until a repository has ``status`` (and that many apps); return its state."""
    state: dict[str, Any] = {}

    async def reached() -> bool:
        nonlocal state
        state = await repository_state(nats_url, name) or {}
        return state.get("status") == status and (apps is None or state.get("apps") == apps)

    await eventually(reached, timeout_s=timeout_s, what=f"repository {name} to be {status}")
    return state
