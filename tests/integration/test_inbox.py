"""The same event delivered twice takes effect once: one replica, and two replicas racing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import func, select

from quickon_common.envelope import Envelope
from quickon_common.inbox import InboxRecord
from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from support.bus import connect, eventually, publish, running, settings_for, stream_messages
from support.tally import counts, status, tally_service


async def consumer_settled(nats_url: str, durable: str, delivered: int) -> bool:
    """The consumer has been handed ``delivered`` messages and acknowledged all of them."""
    nc = await connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info("QUICKON", durable)
        return info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.consumer_seq >= delivered
    finally:
        await nc.close()


async def test_a_repeated_event_is_applied_once(nats_server: NatsServer, database_url: str, tmp_path: Path) -> None:
    service = tally_service(
        settings_for("monitor", nats_url=nats_server.url, database_url=database_url, var_dir=tmp_path)
    )
    async with running(service):
        event = status("gitea")
        envelope = Envelope.new(event, source="deployer")
        # A relay that republished after the duplicate window: same event id, new message id.
        await publish(nats_server.url, event, envelope=envelope)
        await publish(nats_server.url, event, envelope=envelope, msg_id=f"{envelope.id}-again")
        durable = service.consumers[0].durable
        await eventually(lambda: consumer_settled(nats_server.url, durable, 2), what="both deliveries acknowledged")
        await eventually(lambda: _backlog_empty(service), what="the answer to be published")
        assert await counts(service.db) == {"gitea": 1}
        async with service.db.session() as session:
            assert (await session.exec(select(func.count()).select_from(InboxRecord))).one() == 1

    answers = await stream_messages(nats_server.url, "qc.monitor.>")
    assert len(answers) == 1
    assert answers[0].headers["qc-causation-id"] == envelope.id  # type: ignore[index]
    assert answers[0].headers["qc-correlation-id"] == envelope.correlation_id  # type: ignore[index]


async def test_two_replicas_racing_on_repeats_apply_each_event_once(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    settings = settings_for("monitor", nats_url=nats_server.url, database_url=database_url, var_dir=tmp_path)
    replicas = [tally_service(settings), tally_service(settings)]
    names = [f"svc-{i}" for i in range(100)]
    async with running(replicas[0]), running(replicas[1]):
        envelopes = []
        for name in names:
            event = status(name)
            envelope = Envelope.new(event, source="deployer")
            envelopes.append((event, envelope))
            await publish(nats_server.url, event, envelope=envelope)
        await asyncio.gather(
            *(publish(nats_server.url, e, envelope=env, msg_id=f"{env.id}-again") for e, env in envelopes)
        )
        durable = replicas[0].consumers[0].durable
        await eventually(
            lambda: consumer_settled(nats_server.url, durable, 2 * len(names)), timeout_s=60, what="all 200 deliveries"
        )
        assert await counts(replicas[0].db) == dict.fromkeys(names, 1)


async def _backlog_empty(service: Service) -> bool:
    return await service.relay.backlog() == 0
