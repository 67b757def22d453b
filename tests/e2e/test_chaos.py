"""Chaos: the platform as processes, a random service SIGKILLed every few seconds while twelve services
are installed, upgraded, stopped, started and backed up. Afterwards every operation has ended (succeeded,
or failed with a reason), every service's revision is 1 + its successful upgrades (plus what its failed
upgrades made and rolled back), every release history is complete, and the audit log verifies with no
event in it twice.

The run is seeded: the seed is printed, and ``QC_CHAOS_SEED=<seed>`` replays its choices (which service
is killed, and when; the platform's own timing is not replayed). A killed service is started again at
once, and the next kill waits until it is ready again, so that a loaded machine, where a service takes
longer to start than the kills' interval, still sees the platform whole between kills. The test starts
every process itself and kills only those. It runs on SQLite; ``QC_CHAOS_DATABASE=postgres`` runs it on
PostgreSQL instead (with ``QC_TEST_POSTGRES_URL``).

Known defect this test can still find (not fixed here): a command the gateway accepted may never reach
the stream. Seen once on SQLite (seed 3006315425): a stop stayed ``pending`` with no step; the gateway's
outbox was empty, the audit log had no event for it and the deployer no operation, with no gateway kill
near that moment. The assertion "every operation ends" then fails after SETTLE_TIMEOUT_S.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from quickon_common.natsserver import NatsServer, free_port
from quickon_common.settings import SERVICES
from quickon_deployer.runtime.simulated import SimStore

LOADED = time.monotonic()
CHECKOUT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "chaos-admin-password"
SEED_ENV = "QC_CHAOS_SEED"
DATABASE_ENV = "QC_CHAOS_DATABASE"
POSTGRES_ENV = "QC_TEST_POSTGRES_URL"
SERVICE_COUNT = 12
CHAOS_S = 60.0  # how long services are killed at least
CHAOS_MAX_S = 240.0  # and at most
KILL_EVERY_S = (2.0, 5.0)
DOWN_S = (0.2, 1.5)  # how long a killed service stays dead before it is started again
READY_TIMEOUT_S = 180.0
SETTLE_TIMEOUT_S = 240.0  # after the chaos, for every operation to end
OPERATION_DEADLINE_S = "120"  # the deployer's deadlines, so that a stuck operation fails within the test
DONE = ("succeeded", "failed")
# What each service goes through, one operation after the other.
PLAN: list[tuple[str, dict[str, Any]]] = [
    ("upgrade", {"version": "1.0.1"}),
    ("stop", {}),
    ("start", {}),
    ("backup", {}),
    ("upgrade", {"values": {"redis": {"maxmemory": "100mb"}}}),
]


# -- the platform, process by process ---------------------------------------------------------------


@dataclass
class Processes:
    """Every service as its own process, started (and started again) by this test alone."""

    var_dir: Path
    env: dict[str, str]
    ports: dict[str, int]
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    kills: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, name: str) -> None:
        with open(self.var_dir / "logs" / f"{name}.log", "ab") as log:
            self.running[name] = subprocess.Popen(
                [sys.executable, "-m", f"quickon_{name}"], stdout=log, stderr=log, env=self.env
            )

    def kill(self, name: str) -> None:
        """SIGKILL one of ours: no chance to finish anything, as a machine losing the process."""
        with self.lock:
            process = self.running[name]
            process.send_signal(signal.SIGKILL)
            process.wait()
            self.kills.append((time.monotonic(), name))

    def restart(self, name: str) -> None:
        with self.lock:
            self.start(name)

    def ready(self) -> bool:
        return all(map(_ready, self.ports.values()))

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

    def logs(self, lines: int = 30) -> str:
        tails = []
        for name in SERVICES:
            text = (self.var_dir / "logs" / f"{name}.log").read_text(errors="replace").splitlines()
            tails.append(f"--- {name} ---\n" + "\n".join(line[:400] for line in text[-lines:]))
        return "\n".join(tails)


def say(text: str) -> None:
    """A line of the run's story, with the seconds since the module was loaded (the platform's start included)."""
    print(f"chaos {time.monotonic() - LOADED:6.1f}s: {text}", flush=True)


def _ready(port: int) -> bool:
    return _status(port, "/readyz") == 200


def _status(port: int, path: str) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code
    except httpx.HTTPError:
        return 0


@pytest.fixture
def database_urls() -> Iterator[dict[str, str]]:
    """Each service's own database: SQLite files under the var directory (the default), or, with
    QC_CHAOS_DATABASE=postgres, a new PostgreSQL database per service, dropped afterwards. One run, not
    both: the two together took 5 to 9 minutes on a loaded test machine."""
    kind = os.environ.get(DATABASE_ENV, "sqlite")
    assert kind in ("sqlite", "postgres"), f"{DATABASE_ENV} is sqlite or postgres, not {kind!r}"
    if kind == "sqlite":
        yield {}
        return
    base = os.environ.get(POSTGRES_ENV)
    assert base, f"{DATABASE_ENV}=postgres needs a server: set {POSTGRES_ENV} (make test sets it)"
    admin = make_url(base).render_as_string(hide_password=False).replace("+psycopg", "")
    names = {service: f"qc_chaos_{service}_{uuid.uuid4().hex[:8]}" for service in SERVICES}
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'CREATE DATABASE "{name}"')
    yield {
        service: make_url(base).set(database=name).render_as_string(hide_password=False)
        for service, name in names.items()
    }
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def processes(tmp_path: Path, database_urls: dict[str, str]) -> Iterator[Processes]:
    var_dir = tmp_path / "var"
    (var_dir / "logs").mkdir(parents=True)
    nats = NatsServer(var_dir / "nats").start()
    ports = {name: free_port() for name in SERVICES}
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    env = {
        **inherited,
        "QC_VAR_DIR": str(var_dir),
        "QC_NATS_URL": nats.url,
        "QC_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "QC_MARKET_BUILTIN_CATALOG": str(CHECKOUT / "catalog"),
        "QC_DEPLOYER_SIM_DELAY_SCALE": "0.02",  # pods ready within a second or so
        # No Trivy after each install: two cores are shared by every process here (test_deployer_scan scans).
        "QC_DEPLOYER_SCAN_SERVICES": "false",
        "QC_DEPLOYER_SIM_NODES": "6",
        "QC_DEPLOYER_INSTALL_DEADLINE_S": OPERATION_DEADLINE_S,
        "QC_DEPLOYER_UPGRADE_DEADLINE_S": OPERATION_DEADLINE_S,
        "QC_DEPLOYER_OPERATION_DEADLINE_S": OPERATION_DEADLINE_S,
        # A message a killed consumer had fetched comes back after this (60 s by default).
        "QC_CONSUMER_ACK_WAIT_S": "15",
        **{f"QC_{name.upper()}_HTTP_PORT": str(port) for name, port in ports.items()},
        **{f"QC_{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()},
    }
    running = Processes(var_dir, env, ports)
    try:
        for name in SERVICES:
            running.start(name)
        _wait_for(running.ready, timeout_s=READY_TIMEOUT_S, what="every service to be ready", logs=running)
        say("every service is ready")
        yield running
    finally:
        running.stop()
        nats.stop()


def _wait_for(check: Callable[[], bool], *, timeout_s: float, what: str, logs: Processes | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout_s:.0f}s waiting for {what}" + (f"\n{logs.logs()}" if logs else "")
            )
        time.sleep(0.3)


# -- a user of the gateway who keeps trying while services die ----------------------------------------


class Gateway:
    """The gateway's HTTP API, each call tried again while the gateway is down or answers 5xx."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        token = self._retry(
            lambda: self.http.post("/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
        ).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def _retry(self, call: Callable[[], httpx.Response], *, timeout_s: float = SETTLE_TIMEOUT_S) -> httpx.Response:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                response = call()
                if response.status_code < 500:
                    return response
                problem = f"{response.status_code} {response.text[:300]}"
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
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

    def submit(self, service: str, kind: str, path: str, body: dict[str, Any]) -> str:
        """Ask for an operation and answer its id. A request whose answer was lost (the gateway killed
        after accepting it) is found in the service's operations rather than asked for twice."""
        known = {op["operation_id"] for op in self.operations(service)}
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while True:
            try:
                response = self.http.post(path, json=body)
                if response.status_code == 202:
                    return str(response.json()["operation_id"])
                assert response.status_code >= 500, f"POST {path}: {response.status_code} {response.text}"
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"POST {path} was never accepted"
            time.sleep(0.5)
            new = [op for op in self.operations(service) if op["operation_id"] not in known and op["kind"] == kind]
            if new:
                return str(new[0]["operation_id"])

    def wait(self, operation_id: str, *, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            found: dict[str, Any] = self.get(f"/api/v1/operations/{operation_id}")
            if found["state"] in DONE or time.monotonic() > deadline:
                return found
            time.sleep(0.5)


@dataclass
class Progress:
    """How many services have been through the whole plan once, and whether the killing has stopped."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    through_once: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def one_more_through(self) -> None:
        with self.lock:
            self.through_once += 1


def life_of(gateway: Gateway, service: str, progress: Progress) -> list[tuple[str, str]]:
    """Install ``service``, then go through PLAN one operation at a time, once and then again until the
    killing stops; each (kind, state) as it ended, or as it was when this gave up waiting."""
    services = "/api/v1/services"
    install = {"name": service, "app": "redis", "version": "1.0.0"}
    ended = []
    through = False
    try:
        op = gateway.wait(gateway.submit(service, "install", services, install), timeout_s=SETTLE_TIMEOUT_S)
        ended.append(("install", op["state"]))
        if op["state"] != "succeeded":
            return ended
        for done, (kind, body) in enumerate(itertools.cycle(PLAN)):
            if done == len(PLAN):
                through = True
                progress.one_more_through()
            if progress.stop.is_set() and done >= len(PLAN):
                break
            path = f"{services}/{service}/backups" if kind == "backup" else f"{services}/{service}/{kind}"
            op = gateway.wait(gateway.submit(service, kind, path, body), timeout_s=SETTLE_TIMEOUT_S)
            ended.append((kind, op["state"]))
            if op["state"] not in DONE:  # the service is still busy with it: the checks below say so
                break
        return ended
    finally:
        if not through:  # ended early: the killing does not wait for it
            progress.one_more_through()


def chaos(processes: Processes, rng: random.Random, progress: Progress) -> None:
    """Kill a random service every few seconds, and start it again a moment later: for CHAOS_S at
    least, and until every service has been through the plan once (CHAOS_MAX_S at most)."""
    started = time.monotonic()
    while time.monotonic() - started < CHAOS_MAX_S and (
        time.monotonic() - started < CHAOS_S or progress.through_once < SERVICE_COUNT
    ):
        time.sleep(rng.uniform(*KILL_EVERY_S))
        victim = rng.choice(SERVICES)
        processes.kill(victim)
        say(f"killed {victim}")
        time.sleep(rng.uniform(*DOWN_S))
        processes.restart(victim)
        # The next kill waits for this one to be back: on a loaded machine a service takes longer to
        # start than the kills' interval, and the platform would otherwise never be whole again.
        _wait_for(functools.partial(_ready, processes.ports[victim]), timeout_s=READY_TIMEOUT_S, what=f"{victim} back")


# -- the test ----------------------------------------------------------------------------------------------


@pytest.mark.timeout(900)  # the platform's start, the chaos, the operations' end: each bounded above
def test_every_operation_ends_and_nothing_is_lost_or_done_twice_while_services_are_killed(
    processes: Processes,
) -> None:
    seed = int(os.environ.get(SEED_ENV) or random.SystemRandom().randrange(2**32))
    say(f"seed {seed} (replay with {SEED_ENV}={seed})")
    rng = random.Random(seed)
    gateway = Gateway(f"http://127.0.0.1:{processes.ports['gateway']}")
    names = [f"chaos-{n:02d}" for n in range(SERVICE_COUNT)]

    progress = Progress()

    def kill_for_a_while() -> None:
        try:
            chaos(processes, rng, progress)
        finally:
            progress.stop.set()
            say("no more killing")

    killer = threading.Thread(target=kill_for_a_while, daemon=True)
    killer.start()
    with ThreadPoolExecutor(max_workers=SERVICE_COUNT) as pool:
        lives = list(pool.map(lambda name: life_of(gateway, name, progress), names))
    say("every service has been through its operations")
    killer.join()
    _wait_for(
        processes.ready, timeout_s=READY_TIMEOUT_S, what="every service to be ready after the chaos", logs=processes
    )
    say(f"{len(processes.kills)} kills: {dict(Counter(name for _, name in processes.kills))}")
    for name, life in zip(names, lives, strict=True):
        say(f"{name}: {life}")

    # Every operation ends: succeeded, or failed with a reason.
    operations = {name: _settled_operations(gateway, name, processes) for name in names}
    say(f"{sum(map(len, operations.values()))} operations have ended")
    for name, ops in operations.items():
        for op in ops:
            assert op["state"] in DONE, f"{name}: operation {op['operation_id']} ({op['kind']}) never ended: {op}"
            if op["state"] == "failed":
                assert op["error"] and op["error"].get("reason"), f"{name}: {op['kind']} failed with no reason: {op}"

    for name, ops in operations.items():
        for op in ops:
            if op["state"] == "failed":
                say(f"{name}: {op['kind']} {op['operation_id']} failed: {op['error']}")

    revisions: dict[str, list[tuple[int, str]]] = {}
    for name, ops in operations.items():
        if not any(op["kind"] == "install" and op["state"] == "succeeded" for op in ops):
            # A failed install takes away what it made: no service, no release.
            assert gateway.get_status(f"/api/v1/services/{name}") == 404, f"{name}: a failed install left a service"
            revisions[name] = []
            continue
        detail = gateway.get(f"/api/v1/services/{name}")
        upgrades = [op for op in ops if op["kind"] == "upgrade"]
        succeeded = sum(op["state"] == "succeeded" for op in upgrades)
        made = Counter(_made_by(r["description"]) for r in detail["revisions"])
        # Nothing done twice: the install made revision 1, a successful upgrade one revision, a failed
        # one none (refused before the cluster) or two (its revision and the rollback to the one before).
        assert [r["revision"] for r in detail["revisions"]] == list(range(1, detail["revision"] + 1)), detail
        assert made[next(op["operation_id"] for op in ops if op["kind"] == "install")] == 1, detail["revisions"]
        for op in upgrades:
            allowed = (1,) if op["state"] == "succeeded" else (0, 2)
            assert made[op["operation_id"]] in allowed, f"{name}: upgrade {op} made {made[op['operation_id']]}"
        failed_upgrade_revisions = sum(made[op["operation_id"]] for op in upgrades if op["state"] == "failed")
        assert detail["revision"] == 1 + succeeded + failed_upgrade_revisions, (name, detail["revisions"], ops)
        revisions[name] = [(r["revision"], r["description"]) for r in detail["revisions"]]

    # The audit log verifies, and holds each event once.
    verdict = gateway.get("/api/v1/audit/verify")
    assert verdict["ok"], verdict
    say("the audit log verifies")
    events = Counter(entry["event_id"] for entry in _audit_entries(gateway))
    twice = {event: count for event, count in events.items() if count > 1}
    assert not twice, f"events in the audit log more than once: {twice}"

    # Every release history is complete: revisions 1..N, the ones the deployer recorded. Read from the
    # sim runtime's saved state, once the deployer has stopped.
    processes.stop()
    _globals, _parts, histories = SimStore(processes.var_dir / "deployer" / "sim" / "sim.db").load()
    for name in names:
        saved = histories.get(f"default/{name}")
        history = [(r["number"], r["description"]) for r in json.loads(saved)] if saved else []
        assert history == revisions[name], f"{name}: release history {history}, deployer {revisions[name]}"


def _made_by(description: str) -> str:
    """The operation whose id a revision's tag names ("QuickOn upgrade <id>", "... after failed upgrade <id>")."""
    return description.rsplit(" ", 1)[-1]


def _settled_operations(gateway: Gateway, service: str, processes: Processes) -> list[dict[str, Any]]:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        ops = gateway.operations(service)
        if all(op["state"] in DONE for op in ops) or time.monotonic() > deadline:
            return ops
        time.sleep(1)


def _audit_entries(gateway: Gateway) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = gateway.get("/api/v1/audit", limit=1000, **({"cursor": cursor} if cursor else {}))
        entries += page["entries"]
        cursor = page.get("next_cursor")
        if not cursor:
            return entries
