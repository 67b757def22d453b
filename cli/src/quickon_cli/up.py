"""``qc up``: the whole platform on one machine, on embedded defaults.

nats-server (unless ``QC_NATS_URL`` already answers; locked, each service with a credential of its own:
see :mod:`.upbus`), Prometheus and node-exporter (unless ``QC_MONITOR_PROMETHEUS_URL`` names the
operator's: see :mod:`.upmetrics`), then the six services as their own processes, each watched: one that
dies is started again with backoff, and Ctrl-C stops them all cleanly. ``--replicas deployer=2,…`` runs
several processes of a service, replicas named ``deployer-2`` with a port each, started once the first is
ready and sharing the service's PostgreSQL. Logs go to ``var/logs/<service>.log`` as JSON lines. Once
everything is ready it says how to log in (the first admin's generated password, and where it is kept) and the
commands that install a first app.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlparse

import httpx

from quickon_common.blobs import NEEDED_MAX_PAYLOAD
from quickon_common.buscredentials import CredentialError
from quickon_common.files import OWNER_ONLY_UMASK, owner_only_directory, owner_only_file
from quickon_common.natsserver import NatsServer, NatsServerError, free_port, port_answers, server_info
from quickon_common.settings import SERVICES, load_settings

from .upbus import credentials_dir, missing_credentials, prepare_stream, service_environment
from .upmetrics import Metrics

STABLE_AFTER_S = 60.0
CHECKOUT = Path(__file__).resolve().parents[3]
MAX_RESTART_WAIT_S = 30.0
DEFAULT_GATEWAY_URL = "http://127.0.0.1:8080"
MAX_REPLICAS = 8


def parse_replicas(given: str) -> dict[str, int]:
    """``deployer=2,backup=3`` (``all=2``: every service) as the number of processes of each service; a
    wrong one is refused with what to write instead. More than one needs the service's PostgreSQL: replicas
    share its database, and SQLite takes one process."""
    replicas: dict[str, int] = dict.fromkeys(SERVICES, 1)
    for part in filter(None, (piece.strip() for piece in given.split(","))):
        name, _, count = part.partition("=")
        name = name.strip()
        if name not in (*SERVICES, "all") or not count.strip().isdigit() or not 1 <= int(count) <= MAX_REPLICAS:
            raise SystemExit(
                f"--replicas: {part!r} is not SERVICE=N; SERVICE is one of {', '.join(SERVICES)} or all, and N "
                f"a number from 1 to {MAX_REPLICAS} (e.g. --replicas deployer=2,backup=2)"
            )
        replicas.update(dict.fromkeys(SERVICES if name == "all" else (name,), int(count)))
    for name, processes in replicas.items():
        url = load_settings(name).effective_database_url
        if processes > 1 and not url.startswith("postgresql"):
            raise SystemExit(
                f"--replicas: {processes} processes of {name} need a PostgreSQL database they share (SQLite takes one "
                f"process): set QC_{name.upper()}_DATABASE_URL=postgresql+psycopg://user@host/db, then run again"
            )
    return replicas


@dataclass
class Component:
    """One supervised service process."""

    name: str
    port: int
    log_file: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    restart_at: float | None = None
    state: str = "starting"
    env: dict[str, str] = field(default_factory=dict)
    service: str = ""  # the service this process is a replica of
    # Started once this one is ready (a second replica waits for the first, which makes the keys both use).
    after: Component | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # Owner-only: a service's log is for the operator (a log file made by an earlier release is tightened).
        with open(owner_only_file(self.log_file), "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"quickon_{self.service}"], stdout=log, stderr=log, env=self.env
            )
        self.started_at = time.monotonic()
        self.restart_at = None
        self.state = "starting"


class Supervisor:
    """Starts, watches and stops the platform's processes."""

    def __init__(self, *, json_lines: bool = False, replicas: dict[str, int] | None = None) -> None:
        base = load_settings("gateway")
        self.replicas = replicas or dict.fromkeys(SERVICES, 1)
        self.var_dir = base.var_dir.resolve()
        self.nats_url = base.nats_url
        self.json_lines = json_lines
        self.nats: NatsServer | None = None
        self.metrics = Metrics(self.var_dir, self.say)
        self.components: list[Component] = []
        self.stopping = False

    def say(self, message: str, **fields: Any) -> None:
        """A line for the person (or, with --json, a JSON object for the script) watching."""
        if self.json_lines:
            print(json.dumps({"message": message, **fields}), flush=True)
        else:
            print(message, flush=True)

    def start(self) -> None:
        # var/ holds databases, keys, logs and backups: its owner's alone, and so is everything made in it
        # (the services inherit the mask).
        os.umask(OWNER_ONLY_UMASK)
        owner_only_directory(self.var_dir)
        owner_only_directory(self.var_dir / "logs")
        self._start_nats()
        env = {**os.environ, "QC_NATS_URL": self.nats_url, "QC_VAR_DIR": str(self.var_dir)}
        if self.nats is not None and self.nats.monitor_url is not None:  # the monitor watches the server it runs
            env.setdefault("QC_MONITOR_NATS_MONITOR_URL", self.nats.monitor_url)
        env.update(self.metrics.start(os.environ))
        if (CHECKOUT / "catalog" / "index.yaml").exists():  # the built-in catalog, wherever qc runs from
            env.setdefault("QC_MARKET_BUILTIN_CATALOG", str(CHECKOUT / "catalog"))
        for name in SERVICES:
            port = load_settings(name).http_port
            if port_answers("127.0.0.1", port):
                raise SystemExit(
                    f"port {port} for {name} is already in use (another 'qc up'?): stop it, "
                    f"or choose another port with QC_{name.upper()}_HTTP_PORT"
                )
            own = service_environment(name, credentials_dir(self.var_dir)) if self.nats else {}
            first = self._replica(name, 1, port, {**env, **own}, after=None)
            for number in range(2, self.replicas.get(name, 1) + 1):
                self._replica(name, number, free_port(), {**env, **own}, after=first)
        for component in self.components:
            if component.after is None:
                self._start(component)

    def _replica(self, name: str, number: int, port: int, env: dict[str, str], *, after: Component | None) -> Component:
        """The ``number``th process of service ``name``; alone, it is named after the service, as before."""
        several = self.replicas.get(name, 1) > 1
        label = f"{name}-{number}" if several else name
        own = {f"QC_{name.upper()}_HTTP_PORT": str(port), **({"QC_INSTANCE": label} if several else {})}
        if several and name == "deployer":  # its replicas share one simulated cluster (a real one is shared)
            own["QC_DEPLOYER_SIM_SHARED"] = "true"
        log_file = self.var_dir / "logs" / f"{label}.log"
        component = Component(label, port, log_file, env={**env, **own}, service=name, after=after)
        self.components.append(component)
        return component

    def _start(self, component: Component) -> None:
        component.start()
        self.say(f"  starting {component.name:<9} {component.url}", component=component.name, state="starting")

    def _start_nats(self) -> None:
        url = urlparse(self.nats_url)
        host, port = url.hostname or "127.0.0.1", url.port or 4222
        if port_answers(host, port):
            self._check_nats(host, port)
            self.say(f"  using NATS at {self.nats_url}", component="nats", state="external")
            return
        if host not in ("127.0.0.1", "localhost"):
            raise SystemExit(f"NATS at {self.nats_url} does not answer; start it, or unset QC_NATS_URL to run one here")
        try:
            self.nats = NatsServer(
                self.var_dir / "nats", port=port, credentials=credentials_dir(self.var_dir), monitor_port=free_port()
            ).start()
            prepare_stream(load_settings("gateway"), credentials_dir(self.var_dir))
        except (NatsServerError, CredentialError) as error:
            raise SystemExit(str(error)) from None
        except Exception as error:  # the stream could not be made: say so rather than start services that wait
            raise SystemExit(f"nats-server started, but the stream could not be prepared: {error}") from None
        self.say(
            f"  started nats-server {self.nats.url} (data in {self.var_dir / 'nats'})",
            component="nats",
            state="running",
        )

    def _check_nats(self, host: str, port: int) -> None:
        """Refuse a NATS server the platform cannot run on, saying what it needs."""
        try:
            info = server_info(host, port)
        except (OSError, ValueError, NatsServerError) as error:
            raise SystemExit(f"NATS at {self.nats_url} answers, but its greeting could not be read: {error}") from None
        needs = []
        if not info.get("jetstream"):
            needs.append("JetStream (jetstream {} in its configuration, or nats-server -js)")
        if int(info.get("max_payload", 0)) < NEEDED_MAX_PAYLOAD:
            needs.append(
                f"messages of at least {NEEDED_MAX_PAYLOAD // 1024} KB (it takes {info.get('max_payload')} bytes; "
                "set max_payload: 1MB, nats-server's default)"
            )
        if needs:
            raise SystemExit(f"NATS at {self.nats_url} cannot carry QuickOn: it needs {' and '.join(needs)}")
        if info.get("auth_required") and (missing := missing_credentials(dict(os.environ))):
            raise SystemExit(
                f"NATS at {self.nats_url} asks for credentials: set {', '.join(missing)} to each service's NKey "
                "seed file (the permissions each needs are in docs/nats-permissions.md)"
            )

    def watch_once(self, client: httpx.Client) -> None:
        """Check every component once: readiness changes are reported, the dead restarted."""
        now = time.monotonic()
        for component in self.components:
            process = component.process
            if process is None:  # a replica waiting for the first to be ready
                if component.after is not None and component.after.state == "ready":
                    self._start(component)
                continue
            if component.restart_at is not None:
                if now >= component.restart_at:
                    component.start()
                continue
            if process is not None and process.poll() is not None:
                if now - component.started_at > STABLE_AFTER_S:
                    component.restarts = 0
                wait = min(2.0**component.restarts, MAX_RESTART_WAIT_S)
                component.restarts += 1
                component.restart_at = now + wait
                component.state = "restarting"
                self.say(
                    f"  {component.name} exited with code {process.returncode}; restarting in {wait:.0f}s "
                    f"(see {component.log_file})",
                    component=component.name,
                    state="restarting",
                    exit_code=process.returncode,
                )
                continue
            state = self._probe(client, component)
            if state != component.state:
                component.state = state
                mark = {"ready": "✓", "alive": "…"}.get(state, "✗")
                self.say(f"  {mark} {component.name:<9} {state}", component=component.name, state=state)

    @staticmethod
    def _probe(client: httpx.Client, component: Component) -> str:
        try:
            response = client.get(f"{component.url}/readyz", timeout=2)
        except httpx.HTTPError:
            return "starting"
        if response.status_code == 200:
            return "ready"
        reasons = [f"{k}: {v}" for k, v in response.json().get("checks", {}).items() if v != "ok"]
        return "alive, waiting for " + "; ".join(reasons) if reasons else "alive"

    def stop(self) -> None:
        """Stop every service (SIGTERM, then SIGKILL after 10 s), then nats-server."""
        self.stopping = True
        running = [c.process for c in self.components if c.process and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + 10
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.metrics.stop()
        if self.nats:
            self.nats.stop()
        self.say("  stopped", state="stopped")


def first_steps(*, gateway_url: str, var_dir: Path, env: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """What to tell the person once the gateway is ready: where the console is, the first admin's password
    when the gateway generated one (and where it is kept), and the commands that install a first app."""
    lines: list[tuple[str, dict[str, Any]]] = [
        (f"  Open the console in a browser: {gateway_url}/ (sign in as admin)", {"hint": "console", "url": gateway_url})
    ]
    password_file = var_dir / "gateway" / "initial-admin-password"
    try:
        password = password_file.read_text(encoding="utf-8").strip()
    except OSError:
        password = ""
    if password:
        lines.append((f"  The first administrator is admin, password: {password}", {"hint": "admin"}))
        lines.append(
            (f"  (kept, readable by you only, in {password_file})", {"hint": "admin", "file": str(password_file)})
        )
    elif env.get("QC_ADMIN_PASSWORD"):
        lines.append(("  The first administrator is admin, with the password in QC_ADMIN_PASSWORD", {"hint": "admin"}))
    url = "" if gateway_url == DEFAULT_GATEWAY_URL else f" --url {gateway_url}"
    commands = [
        f"qc login -u admin{url}",
        "qc install gitea --set gitea.appName='Our Git' --wait",
        "qc status gitea",
    ]
    lines.append(("  Install a first app:", {"hint": "first_app", "commands": commands}))
    lines.extend((f"    {command}", {"hint": "first_app"}) for command in commands)
    return lines


def run(*, json_lines: bool = False, replicas: str = "") -> int:
    """Run the platform until SIGINT or SIGTERM; return the exit code."""
    supervisor = Supervisor(json_lines=json_lines, replicas=parse_replicas(replicas))

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        supervisor.stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    supervisor.say(f"QuickOn: starting on embedded defaults (data in {supervisor.var_dir})")
    try:
        supervisor.start()
        with httpx.Client() as client:
            gateway_ready = False
            while not supervisor.stopping:
                supervisor.watch_once(client)
                if not gateway_ready and all(c.state == "ready" for c in supervisor.components):
                    gateway_ready = True
                    gateway = next(c for c in supervisor.components if c.service == "gateway")
                    supervisor.say(
                        f"QuickOn is up: the API answers at {gateway.url}; Ctrl-C stops everything", state="ready"
                    )
                    for message, fields in first_steps(
                        gateway_url=gateway.url, var_dir=supervisor.var_dir, env=dict(os.environ)
                    ):
                        supervisor.say(message, **fields)
                time.sleep(0.5)
    finally:
        supervisor.stop()
    return 0
