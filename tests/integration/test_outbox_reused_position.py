"""An event whose outbox row takes the position of a published, deleted one is still published.

SQLite gives a new row the position after the highest one left, so once the newest published rows
are deleted a new event can get the position of one of them. The relay's set of published events
stays behind its deletes for a moment (the relay deletes in the background, a service's transaction
deletes some with its own writes and forgets them after its commit): an event known there by its
position alone was skipped as published, then deleted unpublished. Found by the chaos test (a stop
accepted by the gateway that never reached the stream); this test makes that interleaving exactly.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete

from quickon_common.bus import ensure_stream
from quickon_common.contracts.deploy import SagaStepRecorded
from quickon_common.db import Database
from quickon_common.migrations import migrate
from quickon_common.natsserver import NatsServer
from quickon_common.outbox import Outbox, OutboxRecord
from quickon_common.relay import OutboxRelay
from quickon_deployer.migrations import MIGRATIONS
from support.bus import connect, settings_for, stream_messages


def step(service: str) -> SagaStepRecorded:
    return SagaStepRecorded(service=service, operation="stop", step="accept", state="started")


async def test_a_new_event_at_a_published_events_position_is_published_and_kept(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    await migrate(db, MIGRATIONS)
    relay = OutboxRelay(db, service="deployer")
    outbox = Outbox(db, source="deployer", published=relay.published)
    nc = await connect(nats_server.url)
    js = nc.jetstream()
    settings = settings_for("deployer", nats_url=nats_server.url, database_url=database_url, var_dir=tmp_path)
    await ensure_stream(js, settings)
    try:
        async with outbox.begin() as uow:
            uow.emit(step("first"))
        assert await relay.drain(js) == 1
        # The published row is deleted, and the set has not heard of it yet (the moment between a
        # delete's commit and the set's update).
        async with db.session() as session:
            await session.exec(delete(OutboxRecord))
            await session.commit()

        async with outbox.begin() as uow:  # on SQLite this row takes the deleted row's position
            uow.emit(step("second"))
        assert await relay.drain(js) == 1
        await relay.forget_published()
    finally:
        await nc.close()
        await db.dispose()

    assert len(await stream_messages(nats_server.url)) == 2
