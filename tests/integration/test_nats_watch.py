"""NATS as its own monitoring endpoint shows it: the monitor watches a real nats-server's /healthz, /varz and
/jsz and serves what it saw as series on its /metrics (which Prometheus scrapes, and the default rules
NatsUnhealthy and NatsStorageFilling read); a server that does not answer is said to be down."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from quickon_common.natsserver import NatsServer, free_port
from quickon_monitor.app import build
from quickon_monitor.natswatch import look
from quickon_monitor.settings import MonitorSettings
from support.bus import eventually, running, settings_for
from support.monitor import WITHOUT_PROMETHEUS


def series(text: str, name: str) -> float | None:
    found = re.search(rf"^{name}{{server=\"[^\"]+\"}} ([0-9.e+-]+)$", text, re.MULTILINE)
    return None if found is None else float(found.group(1))


async def test_the_monitor_serves_what_nats_servers_monitoring_endpoint_shows(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    assert nats_server.monitor_url is not None
    settings = settings_for("monitor", nats_url=nats_server.url, database_url=f"sqlite:///{tmp_path / 'm.db'}",
                            var_dir=tmp_path)  # fmt: skip
    nowhere = f"http://127.0.0.1:{free_port()}"  # no Prometheus: the series are what this test reads
    watching = MonitorSettings(prometheus_url=nowhere, nats_monitor_url=nats_server.monitor_url, scrape_interval_s=0.2)
    parts = build(settings, watching)
    async with (
        running(parts.service, but=WITHOUT_PROMETHEUS),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=parts.service.asgi()), base_url="http://monitor") as http,
    ):
        seen: dict[str, float | None] = {}

        async def watched() -> bool:
            text = (await http.get("/metrics")).text
            for name in ("up", "connections", "jetstream_consumers", "jetstream_storage_limit_bytes"):
                seen[name] = series(text, f"quickon_nats_{name}")
            return seen["up"] == 1 and (seen["jetstream_consumers"] or 0) > 0

        await eventually(watched, what="the monitor's nats series")
        assert (seen["connections"] or 0) >= 1  # the monitor itself, at least
        assert (seen["jetstream_storage_limit_bytes"] or 0) > 0

    # A server that does not answer (or is not healthy) is not looked into: it is down.
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{free_port()}", timeout=2) as nowhere:
        assert await look(nowhere) is None
