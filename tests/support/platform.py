"""The whole platform as processes, started the way `qc up` starts it, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from quickon_common.natsserver import free_port
from quickon_common.settings import SERVICES

ADMIN_PASSWORD = "e2e-admin-password"


@dataclass
class Platform:
    """A running `qc up`: its gateway URL, every service's port, and the environment it runs with."""

    url: str
    ports: dict[str, int]
    env: dict[str, str]
    process: subprocess.Popen[str]
    log: Path


def _readyz(port: int) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code
    except httpx.HTTPError:
        return 0


@contextmanager
def platform(var_dir: Path, *, timeout_s: float = 120, **extra_env: str) -> Iterator[Platform]:
    """`qc up --json` on free ports with its data under ``var_dir``; entered once every service is ready,
    stopped with Ctrl-C (SIGINT) afterwards."""
    ports = {name: free_port() for name in SERVICES}
    inherited = {k: v for k, v in os.environ.items() if k not in ("QC_URL", "QC_TOKEN")}  # qc's, not the platform's
    env = {
        **inherited,
        "QC_VAR_DIR": str(var_dir),
        "QC_NATS_URL": f"nats://127.0.0.1:{free_port()}",
        "QC_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "QC_DEPLOYER_SIM_DELAY_SCALE": "0.02",  # pods ready within a second or so
        # No Trivy after each install: two cores are shared by every process here (test_deployer_scan scans).
        "QC_DEPLOYER_SCAN_SERVICES": "false",
        # Schemathesis sends hundreds of requests a second with one token: the test platform's admin raises
        # the rate so they reach the routes (the limit itself is tested in test_gateway_abuse).
        "QC_GATEWAY_RATE_PER_S": "100000",
        "QC_GATEWAY_RATE_BURST": "100000",
        **{f"QC_{name.upper()}_HTTP_PORT": str(port) for name, port in ports.items()},
        **extra_env,
    }
    var_dir.mkdir(parents=True, exist_ok=True)
    log = var_dir / "qc-up.out"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "quickon_cli.main", "up", "--json"],
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
    try:
        deadline = time.monotonic() + timeout_s
        while not all(_readyz(port) == 200 for port in ports.values()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the platform did not become ready; qc up said:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield Platform(f"http://127.0.0.1:{ports['gateway']}", ports, env, process, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
