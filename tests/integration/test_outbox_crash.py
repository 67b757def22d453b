"""The relay SIGKILLed in the middle of publishing 10,000 events loses none and repeats none."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from quickon_common.bus import ensure_stream
from quickon_common.contracts.deploy import SagaStepRecorded
from quickon_common.db import Database
from quickon_common.migrations import migrate
from quickon_common.natsserver import NatsServer
from quickon_common.outbox import Outbox
from quickon_common.relay import OutboxRelay
from quickon_deployer.migrations import MIGRATIONS
from support.bus import connect, eventually, service_environment, settings_for, stream_count, stream_messages

EVENTS = 10_000
KILL_AT = (1_000, 4_000, 7_000)  # stream sizes after which the relay is killed


def start_relay(database_url: str, nats_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **service_environment("deployer", nats_url=nats_url), "QC_RELAY_BATCH_SIZE": "250",
           "QC_LOG_JSON": "true"}  # fmt: skip
    with open(log, "ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "quickon_common.relay",
                "--service",
                "deployer",
                "--database-url",
                database_url,
                "--nats-url",
                nats_url,
            ],
            stdout=out,
            stderr=out,
            env=env,
        )


async def test_killed_relay_publishes_every_event_exactly_once(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    await migrate(db, MIGRATIONS)
    outbox = Outbox(db, source="deployer")
    for chunk in range(0, EVENTS, 1000):
        async with outbox.begin() as uow:
            for i in range(chunk, chunk + 1000):
                uow.emit(SagaStepRecorded(service=f"svc-{i}", operation="install", step="render", state="started"))
    nc = await connect(nats_server.url)
    await ensure_stream(
        nc.jetstream(), settings_for("deployer", nats_url=nats_server.url, database_url=database_url, var_dir=tmp_path)
    )
    await nc.close()

    log = tmp_path / "relay.log"
    kills = []
    for threshold in KILL_AT:
        relay = start_relay(database_url, nats_server.url, log)
        await eventually(
            lambda t=threshold: _stream_reaches(nats_server.url, t),
            timeout_s=60,
            what=f"{threshold} events in the stream",
        )
        kills.append(await kill_between_publish_and_delete(relay, db, nats_server.url))
    assert all(0 < stored < EVENTS for stored, _ in kills), f"each kill must land mid-way: {kills}"
    # Stored but still in the outbox: the restarted relay publishes these again, and only the
    # duplicate window keeps them from being stored twice.
    assert all(stored > done for stored, done in kills), f"a kill missed the publish-delete window: {kills}"

    relay = start_relay(database_url, nats_server.url, log)
    try:
        await eventually(lambda: _drained(db), timeout_s=120, what="the outbox to drain after the restarts")
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait()
    await db.dispose()

    messages = await stream_messages(nats_server.url)
    ids = [m.headers["ce-id"] for m in messages if m.headers]
    assert len(messages) == EVENTS, f"stream holds {len(messages)} messages for {EVENTS} events (kills at {kills})"
    assert len(set(ids)) == EVENTS


async def kill_between_publish_and_delete(relay: subprocess.Popen[bytes], db: Database, url: str) -> tuple[int, int]:
    """SIGKILL the relay at a moment when the stream holds events the outbox still owes.

    The relay is frozen (SIGSTOP) to look at both sides; if it is not inside that window it
    runs on for a moment and is looked at again.
    """
    for _ in range(500):
        relay.send_signal(signal.SIGSTOP)
        stored = await stream_count(url)
        done = EVENTS - await OutboxRelay(db, service="deployer").backlog()
        if stored > done:
            relay.send_signal(signal.SIGKILL)
            relay.wait()
            return stored, done
        relay.send_signal(signal.SIGCONT)
        await asyncio.sleep(random.uniform(0, 0.004))
    relay.send_signal(signal.SIGKILL)
    relay.wait()
    return stored, done


async def _stream_reaches(url: str, threshold: int) -> bool:
    try:
        return await stream_count(url) >= threshold
    except Exception:
        await asyncio.sleep(0.05)
        return False


async def _drained(db: Database) -> bool:
    return await OutboxRelay(db, service="deployer").backlog() == 0
