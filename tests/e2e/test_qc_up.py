"""`qc up` runs the platform as processes: all six answer (the deployer as two replicas on PostgreSQL, one of
them leading), a dead one comes back, Ctrl-C stops all."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from quickon_common.natsserver import NatsServer, free_port, port_answers, server_info
from quickon_common.settings import SERVICES
from support.replicas import postgres_databases


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, int], int, list[str]]]:
    ports = {name: free_port() for name in SERVICES}
    nats_port = free_port()
    with postgres_databases("qc_up") as databases:
        yield from _platform(tmp_path, ports, nats_port, databases["deployer"])


def _platform(
    tmp_path: Path, ports: dict[str, int], nats_port: int, deployer_database: str
) -> Iterator[tuple[subprocess.Popen[str], dict[str, int], int, list[str]]]:
    env = {
        **os.environ,
        "QC_DEPLOYER_DATABASE_URL": deployer_database,
        "QC_VAR_DIR": str(tmp_path / "var"),
        "QC_NATS_URL": f"nats://127.0.0.1:{nats_port}",
        "QC_MONITOR_SCRAPE_INTERVAL_S": "1",
        **{f"QC_{name.upper()}_HTTP_PORT": str(port) for name, port in ports.items()},
    }
    env.pop("QC_MONITOR_PROMETHEUS_URL", None)  # qc up runs its own
    process = subprocess.Popen(
        [sys.executable, "-m", "quickon_cli.main", "up", "--json", "--replicas", "deployer=2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: a failed test still takes every service down with it
    )
    # Read as it comes, so the test can wait for what qc up says (its own view of readiness may lag the
    # test's probes by a round of its watch loop).
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(process.stdout or ()), daemon=True)
    reader.start()
    yield process, ports, nats_port, said
    if process.poll() is None:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # what qc up started, had it no time to stop them


def wait_for(check, *, timeout_s: float = 60, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def status(port: int, path: str) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code
    except httpx.HTTPError:
        return 0


def test_qc_up_runs_supervises_and_stops_the_platform(platform, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    process, ports, nats_port, said = platform
    wait_for(lambda: all(status(p, "/healthz") == 200 for p in ports.values()), timeout_s=120, what="every /healthz")
    wait_for(lambda: all(status(p, "/readyz") == 200 for p in ports.values()), what="every /readyz")
    wait_for(lambda: any("QuickOn is up" in line for line in said), what="qc up to say the platform is up")
    assert port_answers("127.0.0.1", nats_port), "qc up started its own nats-server"
    # Locked: every service got ready with its own credential, kept readable by the owner alone.
    assert server_info("127.0.0.1", nats_port).get("auth_required") is True
    credentials = tmp_path / "var" / "nats" / "credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in credentials.iterdir()} == {
        f"{name}.nk": 0o600 for name in (*SERVICES, "admin")
    }
    assert stat.S_IMODE((tmp_path / "var" / "nats" / "nats-server.conf").stat().st_mode) == 0o600

    for name, port in ports.items():
        info = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        assert info["service"] == name

    # The deployer's second replica: a port of its own, ready, and one of the two leads.
    told = [json.loads(line) for line in said if line.startswith("{")]
    second = next(line for line in told if line.get("component") == "deployer-2" and line.get("state") == "starting")
    second_port = int(second["message"].rsplit(":", 1)[1])
    wait_for(lambda: status(second_port, "/readyz") == 200, what="the deployer's second replica to be ready")
    replicas = [httpx.get(f"http://127.0.0.1:{p}/healthz").json() for p in (ports["deployer"], second_port)]
    assert [r["instance"] for r in replicas] == ["deployer-1", "deployer-2"], replicas
    wait_for(
        lambda: (
            sum(httpx.get(f"http://127.0.0.1:{p}/healthz").json()["leads"] for p in (ports["deployer"], second_port))
            == 1
        ),
        what="one deployer replica to lead",
    )

    # Its Prometheus scrapes what the monitor configured: every service, the host, the sim cluster.
    started = {line["component"]: line for line in told if line.get("state") == "running"}
    prometheus = started["prometheus"]["url"]
    scraped: dict[str, set[str]] = {}

    def every_target_up() -> bool:
        result = httpx.get(f"{prometheus}/api/v1/query", params={"query": "up == 1"}).json()["data"]["result"]
        scraped.clear()
        for series in result:
            scraped.setdefault(series["metric"]["job"], set()).add(series["metric"].get("component", ""))
        platform = {component for job, found in scraped.items() if job.startswith("quickon-") for component in found}
        return platform == set(SERVICES) and {"node", "sim"} <= set(scraped)

    wait_for(every_target_up, what="Prometheus to scrape every service, node-exporter and the sim cluster")
    nodes = httpx.get(f"{prometheus}/api/v1/query", params={"query": "kube_node_info"}).json()["data"]["result"]
    assert len(nodes) == 3, nodes
    victim = httpx.get(f"http://127.0.0.1:{ports['deployer']}/healthz").json()["pid"]
    os.kill(victim, signal.SIGKILL)
    wait_for(
        lambda: (
            status(ports["deployer"], "/healthz") == 200
            and httpx.get(f"http://127.0.0.1:{ports['deployer']}/healthz").json()["pid"] != victim
        ),
        what="the killed deployer to be restarted",
    )

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    wait_for(lambda: any('"stopped"' in line for line in said), what="qc up's last line")
    lines = [json.loads(line) for line in said if line.startswith("{")]
    assert any(line.get("state") == "ready" and "API answers" in line["message"] for line in lines)
    assert any(line.get("component") == "deployer-1" and line.get("state") == "restarting" for line in lines)
    assert lines[-1]["state"] == "stopped"
    metrics_ports = [int(started[name]["url"].rsplit(":", 1)[1]) for name in ("prometheus", "node-exporter")]
    assert not any(port_answers("127.0.0.1", p) for p in [*ports.values(), second_port, nats_port, *metrics_ports]), (
        "everything stopped"
    )


def test_qc_up_refuses_a_nats_that_cannot_carry_the_platform(tmp_path: Path) -> None:
    """An operator's own NATS is checked before anything starts: too small a message limit is named."""
    server = NatsServer(tmp_path / "nats", max_payload="64KB").start()
    try:
        env = {**os.environ, "QC_VAR_DIR": str(tmp_path / "var"), "QC_NATS_URL": server.url}
        done = subprocess.run([sys.executable, "-m", "quickon_cli.main", "up"], capture_output=True, text=True,
                              env=env, timeout=60)  # fmt: skip
    finally:
        server.stop()
    assert done.returncode != 0
    assert "cannot carry QuickOn" in done.stderr and "max_payload: 1MB" in done.stderr, done.stderr
    assert "65536 bytes" in done.stderr


def test_qc_up_refuses_replicas_it_cannot_run(tmp_path: Path) -> None:
    """Several processes of a service on SQLite, or a service or number that does not exist, are refused
    before anything starts, saying what to write instead."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env["QC_VAR_DIR"] = str(tmp_path / "var")
    for given, said in (
        ("backup=2", "QC_BACKUP_DATABASE_URL=postgresql"),
        ("dns=2", "SERVICE is one of market, deployer"),
        ("deployer=0", "a number from 1 to 8"),
        ("deployer", "is not SERVICE=N"),
    ):
        done = subprocess.run([sys.executable, "-m", "quickon_cli.main", "up", "--replicas", given],
                              capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
        assert done.returncode != 0 and said in done.stderr, (given, done.stderr)
        assert not (tmp_path / "var" / "nats").exists(), "nothing started"
