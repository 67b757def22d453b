"""High availability: what a second replica of every service gives, and how soon a killed saga is taken over.

The platform runs as processes on PostgreSQL (a database per service) and the sim runtime, started the way
the HA chaos test starts it (tests/support/replicas.py), with two replicas of every service of which the
second ones are stopped for the first measure:

- ``installs_per_min_1``: one replica of each service; N installs asked at once through the gateway, from
  the first request to the last install ended (every one must succeed). N = 40 (12 with --quick).
- ``installs_per_min_2``: the same with the second replica of each service started again, the requests
  spread over both gateways. ``scale_ratio`` = the second over the first; goal ≥ 1.5.
- ``takeover_s``: the deployer's first replica is frozen by a failpoint in the middle of an install (it stops
  renewing its lease there) and SIGKILLed at once; the time from the kill until the second replica owns
  the saga. ``lease_s`` is the lease (QC_LEASE_S, the default); goal: ``takeover_s`` ≤ 2x ``lease_s``.

    uv run python benchmarks/ha.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from quickon_common.settings import SERVICES, Settings
from support.replicas import ADMIN_PASSWORD, Processes, platform_processes, postgres_databases, ready, wait_for

LEASE_S = Settings().lease_s
GOALS = {"scale_ratio": 1.5}
FROZEN = "T"  # a process stopped by SIGSTOP, as /proc/<pid>/stat says
TAKEOVER_TRIES = 8  # installs asked until one lands on the first replica (the replicas share the requests)


def token_of(url: str) -> str:
    response = httpx.post(f"{url}/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


async def install_all(urls: list[str], token: str, names: list[str]) -> float:
    """Ask for every install at once (spread over ``urls``); the seconds until the last one ended."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=120) as client:
        started = time.monotonic()

        async def one(index: int, name: str) -> None:
            url = urls[index % len(urls)]
            body = {"name": name, "app": "redis", "version": "1.0.0"}
            response = await client.post(f"{url}/api/v1/services", json=body)
            assert response.status_code == 202, f"install {name}: {response.status_code} {response.text}"
            operation = response.json()["operation_id"]
            while True:
                answer = await client.get(f"{url}/api/v1/operations/{operation}")
                assert answer.status_code == 200, f"operation of {name}: {answer.status_code} {answer.text}"
                found = answer.json()
                if found["state"] in ("succeeded", "failed"):
                    assert found["state"] == "succeeded", f"install {name} failed: {found.get('error')}"
                    return
                await asyncio.sleep(0.2)

        await asyncio.gather(*(one(index, name) for index, name in enumerate(names)))
        return time.monotonic() - started


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # /proc's unit of CPU time


@dataclass(frozen=True)
class CpuUse:
    """The machine's CPU time busy and in all (jiffies, /proc/stat) and each replica's own with its children's."""

    busy: int
    total: int
    replicas: dict[str, int]

    @classmethod
    def now(cls, processes: Processes) -> CpuUse:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle and iowait
        replicas = {}
        for name, process in processes.running.items():
            if process.poll() is None:
                stat = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                replicas[name] = sum(int(n) for n in stat[11:15])  # utime, stime, cutime, cstime
        return cls(sum(fields) - idle, sum(fields), replicas)

    def since(self, before: CpuUse) -> str:
        """How busy the machine was, and the replicas that used most of it, since ``before``."""
        busy = (self.busy - before.busy) / max(1, self.total - before.total)
        used = {name: ticks - before.replicas.get(name, 0) for name, ticks in self.replicas.items()}
        tops = sorted(used.items(), key=lambda item: -item[1])[:4]
        spent = ", ".join(f"{name} {ticks / CLOCK_TICKS:.1f} s" for name, ticks in tops)
        return f"CPU {busy:.0%} busy over {os.cpu_count()} cores; most CPU: {spent}"


def per_minute(count: int, seconds: float) -> float:
    return round(count * 60 / seconds, 1)


def frozen(processes: Processes, name: str) -> bool:
    pid = processes.running[name].pid
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith(FROZEN)
    except OSError:
        return False


def owner_of(deployer_database: str, service: str) -> str | None:
    url = make_url(deployer_database).render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT owner FROM deployer_operation WHERE service = %s ORDER BY created_at DESC LIMIT 1", (service,)
        ).fetchone()
    return row[0] if row else None


def takeover(processes: Processes, databases: dict[str, str], url: str, token: str) -> float:
    """Freeze deployer-1 in an install's apply step, SIGKILL it, and time until deployer-2 owns the saga."""
    names = [f"takeover-{n}" for n in range(TAKEOVER_TRIES)]
    processes.terminate("deployer-1")
    failpoints = json.dumps([f"install:{name}:apply:before" for name in names])
    processes.start("deployer-1", QC_DEPLOYER_FAILPOINTS=failpoints)
    wait_for(lambda: ready(processes.ports["deployer-1"]), timeout_s=120, what="deployer-1 back", logs=processes)
    headers = {"Authorization": f"Bearer {token}"}
    for name in names:
        response = httpx.post(f"{url}/api/v1/services", json={"name": name, "app": "redis", "version": "1.0.0"},
                              headers=headers, timeout=60)  # fmt: skip
        assert response.status_code == 202, response.text
        operation = response.json()["operation_id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if frozen(processes, "deployer-1"):
                processes.kill("deployer-1")
                killed = time.monotonic()
                print(f"  deployer-1 froze in {name}'s apply step and was killed; waiting for deployer-2", flush=True)
                while owner_of(databases["deployer"], name) != "deployer-2":
                    assert time.monotonic() - killed < 10 * LEASE_S, f"{name} was never taken over"
                    time.sleep(0.05)
                return time.monotonic() - killed
            state = httpx.get(f"{url}/api/v1/operations/{operation}", headers=headers, timeout=30).json()["state"]
            if state in ("succeeded", "failed"):
                print(f"  {name} ran on deployer-2 ({state}); asking again", flush=True)
                break
            time.sleep(0.05)
    raise SystemExit(f"none of {TAKEOVER_TRIES} installs landed on deployer-1: no takeover to measure")


def run(quick: bool) -> dict[str, Any]:
    count = 12 if quick else 40
    with (
        tempfile.TemporaryDirectory(prefix="qc-bench-ha-") as work,
        postgres_databases("qc_bench_ha") as databases,
        platform_processes(Path(work) / "var", databases, replicas=2, env={}) as processes,
    ):
        gateways = [f"http://127.0.0.1:{processes.ports[f'gateway-{n}']}" for n in (1, 2)]
        token = token_of(gateways[0])
        for service in SERVICES:  # cleanly: the second replicas give up their sagas and leads
            processes.terminate(f"{service}-2")
        print(f"one replica of each service: {count} installs at once…", flush=True)
        before = CpuUse.now(processes)
        one = asyncio.run(install_all(gateways[:1], token, [f"one-{n}" for n in range(count)]))
        print(f"  {one:.1f} s: {per_minute(count, one)} installs/min", flush=True)
        print(f"  {CpuUse.now(processes).since(before)}", flush=True)
        for service in SERVICES:
            processes.start(f"{service}-2")
        wait_for(processes.ready, timeout_s=180, what="the second replicas", logs=processes)
        print(f"two replicas of each service: {count} installs at once…", flush=True)
        before = CpuUse.now(processes)
        two = asyncio.run(install_all(gateways, token, [f"two-{n}" for n in range(count)]))
        print(f"  {two:.1f} s: {per_minute(count, two)} installs/min", flush=True)
        print(f"  {CpuUse.now(processes).since(before)}", flush=True)
        print(f"a saga whose replica dies (lease {LEASE_S:g} s)…", flush=True)
        taken_over = takeover(processes, databases, gateways[1], token)
        print(f"  taken over {taken_over:.1f} s after the kill", flush=True)
    ipm1, ipm2 = per_minute(count, one), per_minute(count, two)
    return {
        "installs": count, "installs_per_min_1": ipm1, "installs_per_min_2": ipm2,
        "scale_ratio": round(ipm2 / ipm1, 2), "lease_s": LEASE_S, "takeover_s": round(taken_over, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 installs per measure instead of 40")
    figures = run(parser.parse_args().quick)
    ratio = "met" if figures["scale_ratio"] >= GOALS["scale_ratio"] else "NOT met"
    print(f"scale_ratio: {figures['scale_ratio']} (goal ≥ {GOALS['scale_ratio']}: {ratio})")
    within = "met" if figures["takeover_s"] <= 2 * figures["lease_s"] else "NOT met"
    print(f"takeover_s: {figures['takeover_s']} (goal ≤ 2x lease_s = {2 * figures['lease_s']:g}: {within})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
