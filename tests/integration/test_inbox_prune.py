"""Inbox claims older than the stream's retention are pruned; recent ones still stop repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, func, select

from quickon_common.envelope import Envelope
from quickon_common.inbox import InboxRecord
from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from support.bus import connect, eventually, publish, running, settings_for
from support.tally import counts, status, tally_service

RETENTION_S = 3600.0


async def claims(service: Service, *, before: datetime | None = None) -> int:
    async with service.db.read_session() as session:
        query = select(func.count()).select_from(InboxRecord)
        if before is not None:
            query = query.where(col(InboxRecord.processed_at) < before)
        return int((await session.exec(query)).one())


async def settled(nats_url: str, durable: str, delivered: int) -> bool:
    nc = await connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info("QUICKON", durable)
        return bool(info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.consumer_seq >= delivered)
    finally:
        await nc.close()


async def test_old_claims_are_pruned_and_a_recent_repeat_is_still_skipped(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        "monitor",
        nats_url=nats_server.url,
        database_url=database_url,
        var_dir=tmp_path,
        stream_max_age_s=RETENTION_S,
        inbox_prune_every_s=0.2,
    )
    service = tally_service(settings)
    async with running(service):
        durable = service.consumers[0].durable
        event = status("gitea")
        envelope = Envelope.new(event, source="deployer")
        await publish(nats_server.url, event, envelope=envelope)
        await eventually(lambda: settled(nats_server.url, durable, 1), what="the event to be applied")

        # Claims of events the stream dropped long ago, from this consumer and another one; more than
        # one pruning batch's worth.
        long_ago = datetime.now(UTC) - timedelta(seconds=RETENTION_S * 2)
        async with service.db.session() as session:
            for number in range(1500):
                consumer = durable if number % 2 else "monitor-other"
                session.add(InboxRecord(consumer=consumer, event_id=f"old-{number}", processed_at=long_ago))
            await session.commit()
        cutoff = datetime.now(UTC) - timedelta(seconds=RETENTION_S)
        await eventually(lambda: _none_before(service, cutoff), what="the old claims to be pruned")
        assert await claims(service) == 1  # the recent claim is kept

        # A relay republishing the recent event after the duplicate window: still applied once.
        await publish(nats_server.url, event, envelope=envelope, msg_id=f"{envelope.id}-again")
        await eventually(lambda: settled(nats_server.url, durable, 2), what="the repeat to be acknowledged")
        assert await counts(service.db) == {"gitea": 1}
        assert await claims(service) == 1


async def _none_before(service: Service, cutoff: datetime) -> bool:
    return await claims(service, before=cutoff) == 0
