"""The platform as processes, several replicas of each service if asked, started and killed by a test or a
benchmark itself (not by `qc up`, so that it knows each process): the HA chaos test and benchmarks/ha.py.

Each replica is a process named ``<service>-<n>`` (``QC_INSTANCE``) on a port of its own; the first replica
of every service starts first, the others once it is ready (they find the keys the first ones made). The
databases are PostgreSQL ones made for the run (replicas share a service's database) or SQLite files.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from quickon_common.natsserver import NatsServer, free_port
from quickon_common.prometheusserver import PrometheusServer
from quickon_common.settings import SERVICES

CHECKOUT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "chaos-admin-password"
POSTGRES_ENV = "QC_TEST_POSTGRES_URL"
LOCAL_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
READY_TIMEOUT_S = 180.0
ANSWER_TIMEOUT_S = 240.0  # how long a client keeps asking a gateway that is down or answers 5xx


@dataclass
class Processes:
    """Every replica of every service as its own process (``deployer-2``: the deployer's second), started
    (and started again) by its caller alone."""

    var_dir: Path
    env: dict[str, str]
    ports: dict[str, int]  # by replica
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    kills: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, name: str, **env: str) -> None:
        """Start replica ``name`` (again), ``env`` added to the platform's environment."""
        service = name.rsplit("-", 1)[0]
        # A replica started again keeps its name: it takes back at once the sagas it owned.
        own = {f"QC_{service.upper()}_HTTP_PORT": str(self.ports[name]), "QC_INSTANCE": name, **env}
        with open(self.var_dir / "logs" / f"{name}.log", "ab") as log:
            self.running[name] = subprocess.Popen(
                [sys.executable, "-m", f"quickon_{service}"], stdout=log, stderr=log, env={**self.env, **own}
            )

    def kill(self, name: str) -> None:
        """SIGKILL one of ours: no chance to finish anything, as a machine losing the process."""
        with self.lock:
            process = self.running[name]
            process.send_signal(signal.SIGKILL)
            process.wait()
            self.kills.append((time.monotonic(), name))

    def terminate(self, name: str) -> None:
        """Stop replica ``name`` cleanly (SIGTERM: it gives up its sagas and its lead)."""
        with self.lock:
            process = self.running[name]
            process.terminate()
            process.wait(timeout=30)

    def restart(self, name: str) -> None:
        with self.lock:
            self.start(name)

    def ready(self) -> bool:
        return all(map(ready, self.ports.values()))

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def gateways(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for name, port in self.ports.items() if name.startswith("gateway-")]

    def logs(self, lines: int = 30) -> str:
        tails = []
        for name in self.running:
            text = (self.var_dir / "logs" / f"{name}.log").read_text(errors="replace").splitlines()
            tails.append(f"--- {name} ---\n" + "\n".join(line[:400] for line in text[-lines:]))
        return "\n".join(tails)


def ready(port: int) -> bool:
    return status(port, "/readyz") == 200


def status(port: int, path: str) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code
    except httpx.HTTPError:
        return 0


def wait_for(check: Callable[[], bool], *, timeout_s: float, what: str, logs: Processes | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout_s:.0f}s waiting for {what}" + (f"\n{logs.logs()}" if logs else "")
            )
        time.sleep(0.3)


@contextmanager
def postgres_databases(prefix: str) -> Iterator[dict[str, str]]:
    """A new PostgreSQL database per service on QC_TEST_POSTGRES_URL's server (the machine's own when unset),
    dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV) or LOCAL_POSTGRES_URL
    admin = make_url(base).render_as_string(hide_password=False).replace("+psycopg", "")
    names = {service: f"{prefix}_{service}_{uuid.uuid4().hex[:8]}" for service in SERVICES}
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {
            service: make_url(base).set(database=name).render_as_string(hide_password=False)
            for service, name in names.items()
        }
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in names.values():
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def platform_processes(
    var_dir: Path,
    database_urls: dict[str, str],
    *,
    replicas: int,
    env: dict[str, str],
    say: Callable[[str], None] = print,
) -> Iterator[Processes]:
    """NATS and a Prometheus (which the monitor asks), then ``replicas`` processes of every service on the sim
    runtime (``env`` adds to or overrides the defaults), entered once every one is ready; stopped afterwards."""
    (var_dir / "logs").mkdir(parents=True)
    (var_dir / "prometheus").mkdir()
    config = var_dir / "prometheus" / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")  # nothing to scrape: the monitor's rules find no series
    prometheus = PrometheusServer(config, var_dir / "prometheus").start()
    nats = NatsServer(var_dir / "nats").start()
    ports = {f"{name}-{number}": free_port() for name in SERVICES for number in range(1, replicas + 1)}
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    everything = {
        **inherited,
        "QC_VAR_DIR": str(var_dir),
        "QC_NATS_URL": nats.url,
        "QC_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "QC_MARKET_BUILTIN_CATALOG": str(CHECKOUT / "catalog"),
        "QC_DEPLOYER_SIM_DELAY_SCALE": "0.02",  # pods ready within a second or so
        # No Trivy after each install: two cores are shared by every process here (test_deployer_scan scans).
        "QC_DEPLOYER_SCAN_SERVICES": "false",
        "QC_MONITOR_PROMETHEUS_URL": prometheus.url,
        "QC_DEPLOYER_SIM_SHARED": str(replicas > 1).lower(),  # the deployer's replicas share one simulated cluster
        **{f"QC_{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()},
        **env,
    }
    running = Processes(var_dir, everything, ports)
    try:
        for name in ports:  # the first replicas, then the others (they find the keys the first ones made)
            if name.endswith("-1"):
                running.start(name)
        firsts = [port for name, port in ports.items() if name.endswith("-1")]
        wait_for(lambda: all(map(ready, firsts)), timeout_s=READY_TIMEOUT_S,
                 what="the first replica of every service to be ready", logs=running)  # fmt: skip
        for name in ports:
            if not name.endswith("-1"):
                running.start(name)
        wait_for(running.ready, timeout_s=READY_TIMEOUT_S, what="every replica to be ready", logs=running)
        say("every replica of every service is ready")
        yield running
    finally:
        running.stop()
        nats.stop()
        prometheus.stop()


class Gateway:
    """The gateway's HTTP API, each call tried again while the gateway is down or answers 5xx: at another
    replica of the gateway, as a load balancer would."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = itertools.cycle(urls)
        self.http = httpx.Client(base_url=next(self.urls), timeout=30)
        token = self._retry(
            lambda: self.http.post("/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
        ).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def _retry(self, call: Callable[[], httpx.Response], *, timeout_s: float = ANSWER_TIMEOUT_S) -> httpx.Response:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                response = call()
                if response.status_code < 500:
                    return response
                problem = f"{response.status_code} {response.text[:300]}"
                self.http.base_url = httpx.URL(next(self.urls))
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
                self.http.base_url = httpx.URL(next(self.urls))
            if time.monotonic() > deadline:
                raise AssertionError(f"the gateway did not answer within {timeout_s:.0f}s: {problem}")
            time.sleep(0.5)

    def get(self, path: str, **params: Any) -> Any:
        response = self._retry(lambda: self.http.get(path, params=params))
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def get_status(self, path: str) -> int:
        return self._retry(lambda: self.http.get(path)).status_code

    def operations(self, service: str) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/operations", service=service, limit=500)["operations"])

    def submit(self, service: str, kind: str, path: str, body: dict[str, Any], *, method: str = "POST") -> str:
        """Ask for an operation and answer its id. A request whose answer was lost (the gateway killed
        after accepting it) is found in the service's operations rather than asked for twice."""
        known = {op["operation_id"] for op in self.operations(service)}
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while True:
            try:
                response = self.http.request(method, path, json=body)
                if response.status_code == 202:
                    return str(response.json()["operation_id"])
                assert response.status_code >= 500, f"POST {path}: {response.status_code} {response.text}"
            except httpx.HTTPError:
                self.http.base_url = httpx.URL(next(self.urls))
            assert time.monotonic() < deadline, f"POST {path} was never accepted"
            time.sleep(0.5)
            new = [op for op in self.operations(service) if op["operation_id"] not in known and op["kind"] == kind]
            if new:
                return str(new[0]["operation_id"])

    def wait(self, operation_id: str, *, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            found: dict[str, Any] = self.get(f"/api/v1/operations/{operation_id}")
            if found["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
                return found
            time.sleep(0.5)
