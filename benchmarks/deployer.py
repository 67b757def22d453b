"""Deployer speed on the sim runtime: request -> AppInstalled latency against `helm template` alone, and
installs per minute with none and with 1,000 services present.

Starts its own nats-server and the market (built-in catalog) as its own process, as `qc up` runs it;
the deployer runs in this process, on its own SQLite file. The sim runtime makes pods ready at once
(readiness delays scaled to zero), so an install is the deployer's own work plus one real
`helm template`. The floor is sampled between the timed installs (one render alone after each
install), so that both are measured under the same load on a noisy machine. The chart is redis
1.0.0 from the built-in catalog (five objects, one pod). Requests go straight to the stream as the gateway sends them:
pinned by the market's `validate` answer (repository, version, digest), asked once; outcomes are seen on a core
NATS subscription.

    uv run python benchmarks/deployer.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
from cryptography.fernet import Fernet
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from pydantic import SecretStr

from quickon_common.contracts.deploy import AppInstalled, AppInstallFailed, AppInstallRequested
from quickon_common.envelope import Envelope, encode
from quickon_common.natsserver import NatsServer, free_port
from quickon_common.service import Service
from quickon_common.settings import Settings
from quickon_deployer.adapters.render import render
from quickon_deployer.app import create_service as create_deployer
from quickon_deployer.settings import DeployerSettings

CATALOG = Path(__file__).resolve().parents[1] / "catalog"
APP, VERSION = "redis", "1.0.0"
CHART = CATALOG / f"{APP}-{VERSION}.tgz"
NAMESPACE = "bench"
FILL_BATCH = 100  # 200 in flight exhausts the deployer's database pool once ~250 services exist
TIMEOUT_S = 600


class OneLine(logging.Formatter):
    """Service warnings and errors on one line each (stderr): under load they come by the hundred."""

    def format(self, record: logging.LogRecord) -> str:
        error = record.exc_info[1] if record.exc_info else None
        cause = f" [{type(error).__name__}: {(str(error).splitlines() or [''])[0][:160]}]" if error else ""
        return f"{record.levelname} {record.name}: {record.getMessage()[:300]}{cause}"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def render_alone(release: str) -> float:
    """Milliseconds of the deployer's own render (real `helm template` and YAML parsing): one floor sample."""
    started = time.perf_counter()
    await render(CHART, release=release, namespace=NAMESPACE, values={})
    return (time.perf_counter() - started) * 1000


async def wait_until_ready(service: Service, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not service.ready:  # readiness is a set of checks, polled as /readyz does
        if time.monotonic() > deadline:
            raise RuntimeError(f"{service.name} not ready after {timeout_s}s: {service.all_checks()}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def market_process(url: str, var: Path) -> AsyncIterator[None]:
    """The market as its own process (as `qc up` runs it), once it has loaded the built-in catalog."""
    env = {
        **os.environ, "QC_NATS_URL": url, "QC_VAR_DIR": str(var),
        "QC_MARKET_DATABASE_URL": f"sqlite:///{var / 'market.db'}",
        "QC_MARKET_HTTP_PORT": str(free_port()), "QC_MARKET_BUILTIN_CATALOG": str(CATALOG), "QC_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "quickon_market"], env=env)  # noqa: ASYNC220 (returns at once)
    try:
        nc = await nats.connect(url)
        try:
            await wait_builtin_catalog(nc, process)
        finally:
            await nc.close()
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


async def gateway_pins(nc: NatsClient) -> dict[str, Any]:
    """What the gateway's check pins in an install request: the repository, version and package digest."""
    body = {"app": APP, "version": VERSION, "values": {}}
    checked = json.loads((await nc.request("qc.query.market.validate", json.dumps(body).encode(), timeout=10)).data)
    return {"repository": checked["repository"], "version": checked["version"], "digest": checked["digest"]}


async def wait_builtin_catalog(nc: NatsClient, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the market exited with {process.returncode}")
        try:
            reply = await nc.request("qc.query.market.repositories", b"{}", timeout=2)
        except (TimeoutError, nats.errors.NoRespondersError, nats.errors.TimeoutError):
            await asyncio.sleep(0.1)
            continue
        states = {r["name"]: r["status"] for r in json.loads(reply.data).get("repositories", [])}
        if states.get("builtin") == "ok":
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the market did not load the built-in catalog")


@asynccontextmanager
async def deployer(url: str, work: Path) -> AsyncIterator[Service]:
    """A fresh deployer (its own SQLite file and simulated cluster under ``work``) with pods ready at once."""
    settings = Settings(
        service="deployer", nats_url=url, var_dir=work, database_url=f"sqlite:///{work / 'deployer.db'}",
        log_json=False, secret_key=SecretStr(Fernet.generate_key().decode()),
    )  # fmt: skip
    # Room for every pod of the run: 2,200 pods at 110 a node; redis asks 50m CPU and 64Mi each.
    sim = DeployerSettings(
        runtime="sim", sim_delay_scale=0, status_interval_s=5, failure_grace_s=0,
        sim_nodes=20, sim_node_cpu="16", sim_node_memory="64Gi",
    )  # fmt: skip
    service = create_deployer(settings, sim)
    await service.start()
    try:
        await wait_until_ready(service)
        yield service
    finally:
        await service.stop()


class Installer:
    """Publishes install requests as the gateway would and resolves each on its outcome event.

    A failed install is counted, not raised: under load the deployer may fail some (the reason is
    printed), and the figures then count the installs that succeeded.
    """

    def __init__(self, nc: NatsClient, pins: dict[str, Any]) -> None:
        self.nc = nc
        self.pins = pins
        self.js = nc.jetstream()
        self.waiting: dict[str, asyncio.Future[tuple[float, str | None]]] = {}
        self.failures: list[str] = []

    async def listen(self) -> None:
        await self.nc.subscribe(AppInstalled.subject, cb=self._on_outcome)
        await self.nc.subscribe(AppInstallFailed.subject, cb=self._on_outcome)
        await self.nc.flush()

    async def _on_outcome(self, msg: Msg) -> None:
        seen = time.perf_counter()
        body = json.loads(msg.data)
        future = self.waiting.pop(body.get("operation_id", ""), None)
        if future is None or future.done():
            return
        failed = None
        if msg.subject == AppInstallFailed.subject:
            failed = f"{body.get('service')} failed at {body.get('step')}: {body.get('reason')}"
            self.failures.append(failed)
        future.set_result((seen, failed))

    def _message(self, service: str) -> tuple[str, str, dict[str, str], bytes]:
        operation_id = str(uuid.uuid4())
        event = AppInstallRequested(
            service=service, namespace=NAMESPACE, app=APP, operation_id=operation_id, secret_paths=[], **self.pins
        )
        subject, headers, body = encode(event, Envelope.new(event, source="gateway", actor="bench", team="bench"))
        self.waiting[operation_id] = asyncio.get_running_loop().create_future()
        return operation_id, subject, headers, body

    async def one(self, service: str) -> float | None:
        """Milliseconds from publishing one request to seeing its AppInstalled; None when it failed."""
        operation_id, subject, headers, body = self._message(service)
        future = self.waiting[operation_id]
        started = time.perf_counter()
        await self.js.publish(subject, body, headers=headers)
        seen, failed = await asyncio.wait_for(future, TIMEOUT_S)
        return None if failed else (seen - started) * 1000

    async def batch(self, services: list[str]) -> tuple[float, int]:
        """Seconds from publishing every request at once to the last outcome, and how many installed."""
        messages = [self._message(s) for s in services]
        futures = [self.waiting[op] for op, *_ in messages]
        started = time.perf_counter()
        acks = [await self.js.publish_async(subject, body, headers=headers) for _, subject, headers, body in messages]
        await asyncio.gather(*acks)
        outcomes = await asyncio.wait_for(asyncio.gather(*futures), TIMEOUT_S)
        return time.perf_counter() - started, sum(1 for _, failed in outcomes if failed is None)


def throughput(what: str, size: int, seconds: float, installed: int, failures: list[str]) -> float:
    """Installs per minute (those that succeeded), printed with the failures if any."""
    per_min = installed / seconds * 60
    print(f"{size} installs at once, {what}: {seconds:.2f}s = {per_min:,.0f} installs/min")
    if installed < size:
        print(f"  {size - installed} of {size} FAILED, e.g. {failures[-1][:300]}")
    return per_min


async def run(quick: bool) -> dict[str, Any]:
    latency_n, batch_n, present_n = (30, 50, 200) if quick else (200, 200, 1000)
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "nats") as server:
        var = Path(tmp)
        await render_alone("warmup")
        print(f"chart: {APP} {VERSION} from the built-in catalog ({CHART.stat().st_size:,} bytes, 5 objects, 1 pod)")

        async with market_process(server.url, var / "market"):
            nc = await nats.connect(server.url)
            try:
                installer = Installer(nc, await gateway_pins(nc))
                await installer.listen()

                # Latency: one install at a time on a fresh deployer, each followed by a render alone.
                timed: list[float | None] = []
                floors: list[float] = []
                async with deployer(server.url, var / "latency"):
                    await installer.one("warmup")  # the chart's first download into the deployer's cache
                    for i in range(latency_n):
                        timed.append(await installer.one(f"lat-{i:04d}"))
                        floors.append(await render_alone(f"floor-{i:04d}"))
                latencies = [t for t in timed if t is not None]
                floor_ms = statistics.median(floors)
                print(f"helm template alone through render() (the floor, median of {latency_n}): {floor_ms:.1f} ms")
                p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
                print(
                    f"request -> AppInstalled, {latency_n} sequential installs: p50 {p50:.1f} ms, p99 {p99:.1f} ms,"
                    f" mean {statistics.fmean(latencies):.1f} ms = {p50 / floor_ms:.2f}x the floor at p50"
                )
                tenth = max(1, latency_n // 10)
                first, last = statistics.median(latencies[:tenth]), statistics.median(latencies[-tenth:])
                print(f"  p50 of the first {tenth} installs {first:.1f} ms, of the last {tenth} {last:.1f} ms")

                # Throughput: many requests in flight, on another fresh deployer, then with many services present.
                async with deployer(server.url, var / "throughput"):
                    present = 1 if await installer.one("warmup") is not None else 0
                    empty_s, installed = await installer.batch([f"empty-{i:04d}" for i in range(batch_n)])
                    per_min_empty = throughput("none present", batch_n, empty_s, installed, installer.failures)
                    present += installed

                    started, name = time.perf_counter(), 0
                    while present < present_n:
                        size = min(FILL_BATCH, present_n - present)
                        _, installed = await installer.batch([f"fill-{name + i:04d}" for i in range(size)])
                        present, name = present + installed, name + size
                    fill_s = time.perf_counter() - started
                    filled = f"filling to {present:,} services ({name:,} more requested, {FILL_BATCH} at a time)"
                    print(f"{filled}: {fill_s:.1f}s" + (" (quick: 200 present instead of 1,000)" if quick else ""))
                    full_s, installed = await installer.batch([f"full-{i:04d}" for i in range(batch_n)])
                    per_min_full = throughput(f"{present:,} present", batch_n, full_s, installed, installer.failures)
                    print(f"  = {per_min_full / per_min_empty:.2f}x the rate with none present")
            finally:
                await nc.close()

    figures: dict[str, Any] = {
        "install_p50_ms": round(p50, 2),
        "install_p99_ms": round(p99, 2),
        "helm_template_ms": round(floor_ms, 2),
        "install_ratio": round(p50 / floor_ms, 3),
        "installs_per_min_empty": round(per_min_empty, 1),
        "installs_per_min_1000": round(per_min_full, 1),
        "services_present": present,
        "fill_s": round(fill_s, 1),
        "failed_installs": len(installer.failures),
    }
    print(f"install ratio (p50 / helm template): {figures['install_ratio']:.2f}   goal within 2x")
    if installer.failures:
        print(f"{len(installer.failures)} installs failed in all; figures count the installs that succeeded")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="30 latency installs, 50-install batches, 200 present; under a minute"
    )
    args = parser.parse_args()
    handler = logging.StreamHandler()
    handler.setFormatter(OneLine())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    figures = asyncio.run(run(args.quick))
    sys.stdout.flush()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
