"""Chaos, highly available: the platform as processes, two replicas of every service on PostgreSQL, a random
replica SIGKILLed every few seconds while twenty services are installed, upgraded, stopped, started and
backed up, and one more is backed up every minute by a schedule. Afterwards every operation has ended
(succeeded, or failed with a reason), every service's revision is 1 + its successful upgrades (plus what
its failed upgrades made and rolled back), every release history is complete, each successful backup is
stored once, the schedule ran once in each minute, and the audit log verifies with each event in it once.

The replicas share each service's database and durable consumers: a saga runs in one replica and the other
takes it over once its lease passes; the periodic jobs run on the replica that leads. A client that finds one
gateway replica gone asks the other, as behind a load balancer.

The run is seeded: the seed is printed, and ``QC_CHAOS_SEED=<seed>`` replays its choices (which replica
is killed, and when; the platform's own timing is not replayed). A killed replica is started again at
once, and the next kill waits until it is ready again, so that a loaded machine, where a service takes
longer to start than the kills' interval, still sees the platform whole between kills. The test starts
every process itself and kills only those. ``QC_CHAOS_REPLICAS=1`` runs one process per service instead,
each killed service then down until it is back; with one replica ``QC_CHAOS_DATABASE=sqlite`` runs it on
SQLite (the default database is PostgreSQL, ``QC_TEST_POSTGRES_URL``).

Known defect this test can still find (not fixed here): a command the gateway accepted may never reach
the stream. Seen once on SQLite (seed 3006315425): a stop stayed ``pending`` with no step; the gateway's
outbox was empty, the audit log had no event for it and the deployer no operation, with no gateway kill
near that moment. The assertion "every operation ends" then fails after SETTLE_TIMEOUT_S.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest

from quickon_deployer.runtime.simulated import SimStore
from support.replicas import (
    READY_TIMEOUT_S,
    Gateway,
    Processes,
    platform_processes,
    postgres_databases,
    ready,
    wait_for,
)

LOADED = time.monotonic()
SEED_ENV = "QC_CHAOS_SEED"
DATABASE_ENV = "QC_CHAOS_DATABASE"
REPLICAS_ENV = "QC_CHAOS_REPLICAS"
SERVICE_COUNT = 20
SCHEDULED = "chaos-cron"  # backed up every minute by a schedule, and by nothing else
LEASE_S = "6"  # the replicas' leases (of the lead and of sagas): a killed one is taken over within that
# A schedule's tick (5 s), a takeover of the backup lead (a lease) and the asked event's way to the backups list.
SCHEDULE_SETTLE_S = 30
CHAOS_S = 60.0  # how long services are killed at least
CHAOS_MAX_S = 240.0  # and at most
KILL_EVERY_S = (2.0, 5.0)
DOWN_S = (0.2, 1.5)  # how long a killed service stays dead before it is started again
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


def replicas() -> int:
    count = int(os.environ.get(REPLICAS_ENV, "2"))
    assert 1 <= count <= 3, f"{REPLICAS_ENV} is 1, 2 or 3, not {count}"
    return count


def say(text: str) -> None:
    """A line of the run's story, with the seconds since the module was loaded (the platform's start included)."""
    print(f"chaos {time.monotonic() - LOADED:6.1f}s: {text}", flush=True)


@pytest.fixture
def database_urls() -> Iterator[dict[str, str]]:
    """Each service's own database: a new PostgreSQL database per service, dropped afterwards, or with one
    replica and QC_CHAOS_DATABASE=sqlite, SQLite files under the var directory. One run, not both: the two
    together took 5 to 9 minutes on a loaded test machine."""
    kind = os.environ.get(DATABASE_ENV, "postgres")
    assert kind in ("sqlite", "postgres"), f"{DATABASE_ENV} is sqlite or postgres, not {kind!r}"
    assert kind == "postgres" or replicas() == 1, "replicas share a PostgreSQL database: SQLite takes one process"
    if kind == "sqlite":
        yield {}
        return
    with postgres_databases("qc_chaos") as urls:
        yield urls


@pytest.fixture
def processes(tmp_path: Path, database_urls: dict[str, str]) -> Iterator[Processes]:
    env = {
        "QC_DEPLOYER_SIM_NODES": "6",
        "QC_DEPLOYER_INSTALL_DEADLINE_S": OPERATION_DEADLINE_S,
        "QC_DEPLOYER_UPGRADE_DEADLINE_S": OPERATION_DEADLINE_S,
        "QC_DEPLOYER_OPERATION_DEADLINE_S": OPERATION_DEADLINE_S,
        # A message a killed consumer had fetched comes back after this (60 s by default).
        "QC_CONSUMER_ACK_WAIT_S": "15",
        "QC_LEASE_S": LEASE_S,
        "QC_BACKUP_SCHEDULE_INTERVAL_S": "5",
    }
    with platform_processes(tmp_path / "var", database_urls, replicas=replicas(), env=env, say=say) as running:
        yield running


# -- a user of the gateway who keeps trying while services die ----------------------------------------


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
    """Kill a random replica every few seconds, and start it again a moment later: for CHAOS_S at least,
    and until every service has been through the plan once (CHAOS_MAX_S at most). With replicas, a victim
    is one whose service has another replica ready, and the next kill does not wait for it to be back;
    alone, a service killed is the whole service down, and the next kill waits until it is ready again."""
    started = time.monotonic()
    while time.monotonic() - started < CHAOS_MAX_S and (
        time.monotonic() - started < CHAOS_S or progress.through_once < SERVICE_COUNT
    ):
        time.sleep(rng.uniform(*KILL_EVERY_S))
        candidates = [name for name in sorted(processes.ports) if _another_ready(processes, name)]
        if not candidates:
            continue  # every service has a replica down already
        victim = rng.choice(candidates)
        processes.kill(victim)
        say(f"killed {victim}")
        time.sleep(rng.uniform(*DOWN_S))
        processes.restart(victim)
        if replicas() == 1:
            # On a loaded machine a service takes longer to start than the kills' interval: without waiting,
            # the platform would never be whole again.
            wait_for(functools.partial(ready, processes.ports[victim]), timeout_s=READY_TIMEOUT_S,
                     what=f"{victim} back")  # fmt: skip


def _another_ready(processes: Processes, name: str) -> bool:
    """Whether ``name`` may be killed: alone, always; with replicas, while another of its service is ready."""
    if replicas() == 1:
        return True
    service = name.rsplit("-", 1)[0]
    others = [port for other, port in processes.ports.items() if other != name and other.startswith(f"{service}-")]
    return any(map(ready, others))


# -- the test ----------------------------------------------------------------------------------------------


@pytest.mark.timeout(900)  # the platform's start, the chaos, the operations' end: each bounded above
def test_every_operation_ends_and_nothing_is_lost_or_done_twice_while_services_are_killed(
    processes: Processes,
) -> None:
    seed = int(os.environ.get(SEED_ENV) or random.SystemRandom().randrange(2**32))
    say(f"seed {seed} (replay with {SEED_ENV}={seed})")
    rng = random.Random(seed)
    gateway = Gateway(processes.gateways())
    names = [f"chaos-{n:02d}" for n in range(SERVICE_COUNT)]
    scheduled_from = _scheduled_every_minute(gateway)

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
    scheduled_until = time.time()
    wait_for(
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

    # Each successful backup is stored once: one completed backup per backup operation that succeeded (the
    # upgrades' own backups aside).
    for name, ops in operations.items():
        backups = gateway.get(f"/api/v1/services/{name}/backups")["backups"] if revisions[name] else []
        asked = [b for b in backups if b["status"] == "completed" and b["trigger"] not in ("pre_upgrade", "schedule")]
        succeeded = [op for op in ops if op["kind"] == "backup" and op["state"] == "succeeded"]
        assert len(asked) == len(succeeded), f"{name}: {len(succeeded)} backups succeeded, stored: {backups}"
        ids = [b["backup_id"] for b in backups]  # an upgrade's own backup is named after it: never two of one
        assert len(ids) == len(set(ids)), f"{name}: a backup stored twice: {sorted(ids)}"

    # The schedule ran once in each minute that began while the replicas were killed. A backup is named after
    # the minute its tick ran in, and a missed minute is never made up: the last minute, begun perhaps a moment
    # before the chaos ended, is given a tick, a takeover of the lead and the event's way to the backups list.
    minutes = range(int(scheduled_from // 60) + 1, int(scheduled_until // 60) + 1)
    expected = {time.strftime("%Y%m%dt%H%M", time.gmtime(minute * 60)) for minute in minutes}
    ran: list[str] = []

    def every_minute_ran() -> bool:
        ran[:] = [b["backup_id"][:13] for b in gateway.get(f"/api/v1/services/{SCHEDULED}/backups")["backups"]]
        return expected <= set(ran)

    with contextlib.suppress(AssertionError):
        wait_for(every_minute_ran, timeout_s=SCHEDULE_SETTLE_S, what="the last minute's scheduled backup")
    say(f"the schedule asked for backups in the minutes {sorted(ran)}")
    assert len(ran) == len(set(ran)), f"a minute's scheduled backup ran twice: {sorted(ran)}"
    assert expected <= set(ran), f"the schedule missed a minute: expected {sorted(expected)}, ran {sorted(ran)}"

    # The audit log verifies, and holds each event of the stream once: none lost, none twice.
    verdict = gateway.get("/api/v1/audit/verify")
    assert verdict["ok"], verdict
    say("the audit log verifies")
    published = asyncio.run(_stream_event_ids(processes.env["QC_NATS_URL"]))
    deadline = time.monotonic() + SETTLE_TIMEOUT_S  # the newest events may still be on their way to it
    while True:
        events = Counter(entry["event_id"] for entry in _audit_entries(gateway))
        lost = published - set(events)
        if not lost or time.monotonic() > deadline:
            break
        time.sleep(1)
    twice = {event: count for event, count in events.items() if count > 1}
    assert not twice, f"events in the audit log more than once: {twice}"
    assert not lost, f"{len(lost)} of the stream's {len(published)} events missed by the audit log: {sorted(lost)[:9]}"
    say(f"the audit log holds each of the stream's {len(published)} events once")

    # Every release history is complete: revisions 1..N, the ones the deployer recorded. Read from the
    # sim runtime's saved state, once the deployer has stopped.
    processes.stop()
    _globals, _parts, histories = SimStore(processes.var_dir / "deployer" / "sim" / "sim.db").load()
    for name in names:
        saved = histories.get(f"default/{name}")
        history = [(r["number"], r["description"]) for r in json.loads(saved)] if saved else []
        assert history == revisions[name], f"{name}: release history {history}, deployer {revisions[name]}"


def _scheduled_every_minute(gateway: Gateway) -> float:
    """Install SCHEDULED and have it backed up every minute; when the schedule was set (epoch seconds)."""
    install = {"name": SCHEDULED, "app": "redis", "version": "1.0.0"}
    installed = gateway.wait(gateway.submit(SCHEDULED, "install", "/api/v1/services", install), timeout_s=120)
    assert installed["state"] == "succeeded", installed
    path = f"/api/v1/services/{SCHEDULED}/backups/schedule"
    scheduled = gateway.wait(
        gateway.submit(SCHEDULED, "schedule_backups", path, {"cron": "* * * * *"}, method="PUT"), timeout_s=120
    )
    assert scheduled["state"] == "succeeded", scheduled
    return time.time()


async def _stream_event_ids(nats_url: str) -> set[str]:
    """The id of every event the stream holds (its dead letters and query replies aside)."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        last = (await js.stream_info("QUICKON")).state.last_seq
        subscription = await js.subscribe(">", stream="QUICKON", ordered_consumer=True)
        ids: set[str] = set()
        while last:
            message = await subscription.next_msg(timeout=10)
            if message.subject.startswith("qc.") and message.headers and "ce-id" in message.headers:
                ids.add(message.headers["ce-id"])
            if message.metadata.sequence.stream >= last:
                return ids
        return ids
    finally:
        await connection.close()


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
