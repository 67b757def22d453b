"""Gateway speed: an authenticated `GET /api/v1/apps` against a bare FastAPI app answering the same JSON
from memory (the ceiling), in the same run.

Starts its own nats-server, the market (built-in catalog) and the gateway as their own processes, as
`qc up` runs them, and the ceiling as a process served the same way (uvicorn, one worker). For each
server it measures the saturation throughput (closed loop: every connection sends its next request as
soon as the previous answer is in), then the latency at a fixed offered load of half the gateway's
saturation (open loop: requests leave on a fixed schedule whatever the answers do, and a request's
latency counts from when it was due, so a stall is not hidden). Both servers run at once and are
measured in alternating rounds, the ratio taken round by round (its median is the figure), so that a
change in the machine's load in the middle of the run weighs on both alike. The load comes from this process over
raw keep-alive HTTP/1.1 connections: an HTTP client library would cost more CPU per request than the
servers under test, on a machine where they share two cores.

    uv run python benchmarks/gateway.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from quickon_common.natsserver import NatsServer, free_port

CATALOG = Path(__file__).resolve().parents[1] / "catalog"
PASSWORD = "benchmark-password"
CONNECTIONS = 32


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Connection:
    """One keep-alive HTTP/1.1 connection sending the same GET again and again."""

    def __init__(self, port: int, request: bytes) -> None:
        self.port = port
        self.request = request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self) -> int:
        """Send the request and read the whole answer; returns the status."""
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def get_request(path: str, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n{auth}\r\n".encode()


async def saturation(port: int, request: bytes, seconds: float) -> tuple[float, int]:
    """Requests per second with every connection busy all the time, and the number of non-200 answers."""
    connections = [Connection(port, request) for _ in range(CONNECTIONS)]
    await asyncio.gather(*(c.get() for c in connections))  # connect and warm up
    done = errors = 0
    stop = time.perf_counter() + seconds

    async def loop(connection: Connection) -> None:
        nonlocal done, errors
        while time.perf_counter() < stop:
            status = await connection.get()
            done += 1
            errors += status != 200

    started = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in connections))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in connections))
    return done / elapsed, errors


async def fixed_load(port: int, request: bytes, rate: float, seconds: float) -> dict[str, float]:
    """Latencies (ms, from each request's due time) at ``rate`` requests per second, and the rate achieved."""
    connections: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(CONNECTIONS * 2):
        connections.put_nowait(Connection(port, request))
    latencies: list[float] = []
    errors = 0

    async def one(due: float) -> None:
        nonlocal errors
        connection = await connections.get()
        try:
            status = await connection.get()
        finally:
            connections.put_nowait(connection)
        latencies.append((time.perf_counter() - due) * 1000)
        errors += status != 200

    total = int(rate * seconds)
    started = time.perf_counter()
    tasks = []
    for i in range(total):
        due = started + i / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    while not connections.empty():
        await connections.get_nowait().close()
    return {
        "achieved_rps": round(total / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "errors": errors,
    }


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as output:
        child = subprocess.Popen(args, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


def has_apps(response: httpx.Response) -> bool:
    """The market has loaded the built-in catalog: the measured answer is the real one, not an empty list."""
    return int(response.json().get("total", 0)) > 0


def wait_for(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    until: Callable[[httpx.Response], bool] = lambda _: True,
    timeout_s: float = 90,
) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, headers=headers, timeout=5)
            if response.status_code == 200 and until(response):
                return response
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as error:
            last = str(error)
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s}s: {last}")


def serve_ceiling(port: int, body_file: Path) -> None:
    """The ceiling: a bare FastAPI app answering the gateway's JSON from memory, served as the gateway is."""
    import uvicorn
    from fastapi import FastAPI

    answer = json.loads(body_file.read_text())
    app = FastAPI()

    @app.get("/api/v1/apps")
    async def apps() -> dict[str, Any]:
        return answer  # type: ignore[no-any-return]

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


async def compare(
    gateway: tuple[int, bytes], ceiling: tuple[int, bytes], rounds: int, seconds: float
) -> dict[str, Any]:
    """Saturation of both in alternating rounds of ``seconds`` each, then latency at half the gateway's."""
    ratios, gateway_rps, ceiling_rps, errors = [], [], [], 0
    for number in range(1, rounds + 1):
        g, g_errors = await saturation(*gateway, seconds)
        c, c_errors = await saturation(*ceiling, seconds)
        gateway_rps.append(g)
        ceiling_rps.append(c)
        ratios.append(g / c)
        errors += g_errors + c_errors
        print(f"round {number}: gateway {g:8.1f}/s, ceiling {c:8.1f}/s = {g / c:.3f}x ({g_errors + c_errors} errors)")
    rate = statistics.median(gateway_rps) / 2
    loads = {}
    for name, (port, request) in (("gateway", gateway), ("ceiling", ceiling)):
        load = loads[name] = await fixed_load(port, request, rate, seconds * rounds / 2)
        errors += int(load["errors"])
        print(
            f"{name:<8} at {rate:.0f}/s offered: {load['achieved_rps']:.1f}/s achieved, p50 {load['p50_ms']:.2f} ms, "
            f"p99 {load['p99_ms']:.2f} ms ({load['errors']:.0f} errors)",
            flush=True,
        )
    return {
        "rps": round(statistics.median(gateway_rps), 1), "ceiling_rps": round(statistics.median(ceiling_rps), 1),
        "rps_ratio": round(statistics.median(ratios), 3), "p50_ms": loads["gateway"]["p50_ms"],
        "p99_ms": loads["gateway"]["p99_ms"], "offered_rps": round(rate, 1),
        "achieved_rps": loads["gateway"]["achieved_rps"], "ceiling_p50_ms": loads["ceiling"]["p50_ms"],
        "ceiling_p99_ms": loads["ceiling"]["p99_ms"], "errors": errors,
    }  # fmt: skip


def run(quick: bool) -> dict[str, Any]:
    rounds, seconds = (3, 2.0) if quick else (5, 4.0)
    with tempfile.TemporaryDirectory(prefix="qc-bench-gateway-") as work, NatsServer(Path(work) / "nats") as nats:
        var = Path(work)
        gateway_port, ceiling_port = free_port(), free_port()
        common = {"QC_NATS_URL": nats.url, "QC_VAR_DIR": str(var), "QC_LOG_LEVEL": "WARNING"}
        market_env = {
            **common, "QC_MARKET_BUILTIN_CATALOG": str(CATALOG), "QC_MARKET_HTTP_PORT": str(free_port()),
            "QC_MARKET_DATABASE_URL": f"sqlite:///{var / 'market.db'}",
        }  # fmt: skip
        gateway_env = {
            **common, "QC_GATEWAY_HTTP_PORT": str(gateway_port), "QC_ADMIN_PASSWORD": PASSWORD,
            # The rate limit runs (its cost is measured) but never refuses the benchmark's one token.
            "QC_GATEWAY_RATE_PER_S": "1000000000", "QC_GATEWAY_RATE_BURST": "1000000000",
            "QC_GATEWAY_DATABASE_URL": f"sqlite:///{var / 'gateway.db'}",
        }  # fmt: skip
        with (
            process([sys.executable, "-m", "quickon_market"], market_env, var / "market.log"),
            process([sys.executable, "-m", "quickon_gateway"], gateway_env, var / "gateway.log"),
        ):
            base = f"http://127.0.0.1:{gateway_port}"
            wait_for(f"{base}/readyz")
            login = httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
            token = login.json()["access_token"]
            body = wait_for(f"{base}/api/v1/apps", headers={"Authorization": f"Bearer {token}"}, until=has_apps)
            print(
                f"GET /api/v1/apps: {len(body.content)} bytes, {body.json()['total']} apps; "
                f"{rounds} rounds of {seconds:.0f}s"
            )
            (var / "apps.json").write_bytes(body.content)
            ceiling_args = [sys.executable, __file__, "--serve-ceiling", str(ceiling_port), str(var / "apps.json")]
            with process(ceiling_args, {}, var / "ceiling.log"):
                wait_for(f"http://127.0.0.1:{ceiling_port}/api/v1/apps")
                figures = asyncio.run(
                    compare(
                        (gateway_port, get_request("/api/v1/apps", token)),
                        (ceiling_port, get_request("/api/v1/apps", None)),
                        rounds,
                        seconds,
                    )
                )
    print(
        f"gateway / ceiling: {figures['rps_ratio']:.3f}x, the median of {rounds} rounds (goal 0.5x or better); "
        f"p99 at half load {figures['p99_ms']} ms (goal < 50)"
    )
    return {**figures, "rounds": rounds, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 2 s instead of 5 of 4 s; under a minute")
    parser.add_argument("--serve-ceiling", nargs=2, metavar=("PORT", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_ceiling:
        serve_ceiling(int(args.serve_ceiling[0]), Path(args.serve_ceiling[1]))
        return
    figures = run(args.quick)
    sys.stdout.flush()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
