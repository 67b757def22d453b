"""A real Prometheus (Debian's, on a free port) in tests: on its own, or scraping a real deployer on the sim
runtime every second through the configuration the monitor writes. What the tests of metrics, alerts and
health-gated upgrades stand on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from prometheus_client import CollectorRegistry, Counter, start_http_server

from quickon_common.natsserver import free_port
from quickon_common.prometheusserver import PrometheusServer
from quickon_deployer.app import DeployerParts
from quickon_monitor.scrape import ScrapeTargets, config_text, prometheus_config
from support.deployer import platform


@asynccontextmanager
async def serving(prometheus: PrometheusServer) -> AsyncIterator[PrometheusServer]:
    """A real Prometheus running for the block (its URL is known before: give it to the monitor first)."""
    await asyncio.to_thread(prometheus.start)
    try:
        yield prometheus
    finally:
        await asyncio.to_thread(prometheus.stop)


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[int]:
    """An ASGI app on a free port of 127.0.0.1 (the deployer's /metrics and /sim/metrics, for Prometheus)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    running = asyncio.create_task(server.serve())
    try:
        yield port
    finally:
        server.should_exit = True
        await running


class Component:
    """A platform component's /metrics (prometheus-client's own server), which a test stops and starts again
    on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.registry = CollectorRegistry()
        Counter("quickon_test_ticks", "a metric to scrape", registry=self.registry).inc()
        self.server: Any = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server, _thread = start_http_server(self.port, addr="127.0.0.1", registry=self.registry)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@asynccontextmanager
async def scraping(
    deployer: DeployerParts, var_dir: Path, *, components: dict[str, str] | None = None
) -> AsyncIterator[PrometheusServer]:
    """The deployer's pages served, and Prometheus scraping them every second as the platform's configuration
    says: the deployer's own metrics (job quickon-deployer), the sim cluster's exporters (job sim), and
    ``components`` (service name: host:port, jobs quickon-<name>)."""
    async with served(deployer.service.asgi()) as port:
        config = var_dir / "prometheus.yml"
        platform = {"deployer": f"127.0.0.1:{port}", **(components or {})}
        targets = ScrapeTargets(platform=platform, sim_cluster=f"127.0.0.1:{port}")
        config.write_text(config_text(prometheus_config(targets, interval_s=1)))
        async with serving(PrometheusServer(config, var_dir / "prometheus")) as prometheus:
            yield prometheus


@dataclass
class ScrapedSim:
    deployer: DeployerParts
    prometheus: PrometheusServer
    api: httpx.AsyncClient  # Prometheus' HTTP API


@asynccontextmanager
async def scraped_sim(
    nats_url: str, var_dir: Path, *, components: dict[str, str] | None = None, **deployer: Any
) -> AsyncIterator[ScrapedSim]:
    """The market and the deployer (sim, on its own SQLite file), scraped by Prometheus (:func:`scraping`)."""
    database = f"sqlite:///{var_dir / 'deployer.db'}"
    async with (
        platform(nats_url, database, var_dir, **{"sim_disk_scan_s": 0, **deployer}) as parts,
        scraping(parts, var_dir, components=components) as prometheus,
        httpx.AsyncClient(base_url=prometheus.url, timeout=10) as api,
    ):
        yield ScrapedSim(parts, prometheus, api)


async def promql(api: httpx.AsyncClient, query: str) -> list[dict[str, Any]]:
    """An instant query's result."""
    response = await api.get("/api/v1/query", params={"query": query})
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


async def until(api: httpx.AsyncClient, query: str, *, what: str, timeout_s: float = 30) -> list[dict[str, Any]]:
    """The query's result once it has one (Prometheus scrapes every second)."""
    deadline = time.monotonic() + timeout_s
    while not (result := await promql(api, query)):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}: {query}")
        await asyncio.sleep(0.2)
    return result
