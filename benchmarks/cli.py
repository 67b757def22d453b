"""CLI start time: how long `qc --version` and `qc services --json` take, beside the floor `python -c pass`.

A CLI is typed hundreds of times a day, so what it costs before it does anything counts: the goal is a
start (`qc --version`) within 200 ms. Every figure is the median of several runs of a fresh process,
the three kinds interleaved run by run so that a change in the machine's load weighs on all alike.
`qc services --json` runs against a real gateway (with nats-server and the deployer, which answers the
gateway's query for services) started here as their own processes, as `qc up` runs them.

    uv run python benchmarks/cli.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from gateway import process  # the gateway benchmark's: a service as a process of its own, stopped after
from quickon_common.natsserver import NatsServer, free_port

PASSWORD = "benchmark-password"
GOAL_MS = 200.0


def wait_ready(url: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as error:
            last = str(error)
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s}s: {last}")


def cpu_s() -> float:
    """CPU time (user and system) that this process's finished children used so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Milliseconds from starting ``args`` to its exit, and the CPU milliseconds it used (which a busy
    machine stretches much less than the wall time); a failure stops the benchmark with what it said."""
    cpu, started = cpu_s(), time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    elapsed, used = (time.perf_counter() - started) * 1000, (cpu_s() - cpu) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-1000:]}")
    return elapsed, used


@contextmanager
def gateway() -> Iterator[tuple[str, str]]:
    """nats-server, the deployer and the gateway as processes; the gateway's URL and an admin's token."""
    with tempfile.TemporaryDirectory(prefix="qc-bench-cli-") as work, NatsServer(Path(work) / "nats") as nats:
        var = Path(work)
        port = free_port()
        common = {"QC_NATS_URL": nats.url, "QC_VAR_DIR": str(var), "QC_LOG_LEVEL": "WARNING"}
        deployer_env = {**common, "QC_DEPLOYER_HTTP_PORT": str(free_port())}
        gateway_env = {**common, "QC_GATEWAY_HTTP_PORT": str(port), "QC_ADMIN_PASSWORD": PASSWORD}
        with (
            process([sys.executable, "-m", "quickon_deployer"], deployer_env, var / "deployer.log"),
            process([sys.executable, "-m", "quickon_gateway"], gateway_env, var / "gateway.log"),
        ):
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/readyz")
            login = httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
            login.raise_for_status()
            yield base, str(login.json()["access_token"])


def run(quick: bool) -> dict[str, Any]:
    runs = 7 if quick else 21
    qc = [sys.executable, "-m", "quickon_cli.main"]
    with gateway() as (url, token):
        # No saved configuration: the URL and token come from the environment, as a script gives them.
        env = {**os.environ, "QC_URL": url, "QC_TOKEN": token, "XDG_CONFIG_HOME": tempfile.mkdtemp()}
        commands = {
            "python_floor": [sys.executable, "-c", "pass"],
            "startup": [*qc, "--version"],
            "services": [*qc, "services", "--json"],
        }
        for args in commands.values():  # once each first: the deployer's first answer, cold file caches
            timed(args, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, args in commands.items():
                wall, used = timed(args, env)
                samples[name].append(wall)
                cpu[name].append(used)
    figures = {f"{name}_ms": round(statistics.median(values), 1) for name, values in samples.items()}
    figures |= {f"{name}_cpu_ms": round(statistics.median(values), 1) for name, values in cpu.items()}
    for name, values in samples.items():
        print(
            f"{name:<13} median {statistics.median(values):7.1f} ms  (min {min(values):.1f}, max {max(values):.1f}), "
            f"CPU {statistics.median(cpu[name]):.1f} ms"
        )
    over_floor = figures["startup_ms"] - figures["python_floor_ms"]
    verdict = "met" if figures["startup_ms"] <= GOAL_MS else "NOT met"
    print(
        f"qc --version: {figures['startup_ms']} ms, {over_floor:.1f} ms above the bare interpreter; "
        f"goal <= {GOAL_MS:.0f} ms: {verdict}"
    )
    return {**figures, "runs": runs, "goal_ms": GOAL_MS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="7 runs of each instead of 21; under a minute")
    figures = run(parser.parse_args().quick)
    sys.stdout.flush()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
