"""Twenty installs of one chart at once all succeed: each resolves the chart the others are fetching
and caching at the same moment (two of them at once used to fail at resolve with FileNotFoundError on
a temporary file named by process id alone, which both wrote, renamed and removed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested
from quickon_common.natsserver import NatsServer
from support.deployer import finished, outcome, platform, request

INSTALLS = 20


async def test_twenty_installs_of_one_chart_at_once_all_succeed(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    async with platform(url, database_url, tmp_path):
        operations = await asyncio.gather(
            *(
                request(url, AppInstallRequested(service=f"cache-{i:02}", namespace="team-a", app="redis"))
                for i in range(INSTALLS)
            )
        )
        outcomes = [outcome(await finished(url, op, timeout_s=240)) for op in operations]

    failed = [o for o in outcomes if not isinstance(o, AppInstalled)]
    assert failed == [], failed
    installed = sorted(o.service for o in outcomes if isinstance(o, AppInstalled))
    assert installed == [f"cache-{i:02}" for i in range(INSTALLS)]
