"""Every contract through a real nats-server: outbox -> relay -> stream -> decode, headers included."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import nats

from quickon_common.buspermissions import ADMIN
from quickon_common.contracts import REGISTRY
from quickon_common.envelope import decode
from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from quickon_deployer import migrations as deployer_migrations
from quickon_market import migrations as market_migrations
from support.bus import connect, credential_of, eventually, running, settings_for, stream_messages
from support.samples import sample

CE_HEADERS = ("ce-specversion", "ce-id", "ce-source", "ce-type", "ce-time", "ce-subject")


async def test_every_contract_survives_the_bus(nats_server: NatsServer, database_url: str, tmp_path: Path) -> None:
    service = Service(
        "market",
        migrations=market_migrations.MIGRATIONS,
        # It sends every context's contracts, as no one service may: with the test's credential.
        settings=settings_for(
            "market",
            nats_url=nats_server.url,
            database_url=database_url,
            var_dir=tmp_path,
            nats_nkey_file=credential_of(ADMIN),
        ),
    )
    sent = {}
    async with running(service):
        async with service.outbox.begin(actor="alice", team="ops") as uow:
            for contract in REGISTRY.all():
                event = sample(contract)
                envelope = uow.emit(event, subject=f"resource/{contract.__name__}")
                sent[envelope.id] = (event, envelope)
        await eventually(lambda: _backlog_empty(service), what="the relay to publish every contract")

    messages = await stream_messages(nats_server.url)
    assert len(messages) == len(sent) == len(REGISTRY.all())
    for msg in messages:
        event, envelope = decode(msg.subject, msg.headers, msg.data)
        expected_event, expected_envelope = sent[envelope.id]
        assert event == expected_event
        assert envelope == expected_envelope
        assert msg.headers is not None and msg.headers["Nats-Msg-Id"] == envelope.id


async def _backlog_empty(service: Service) -> bool:
    return await service.relay.backlog() == 0


async def test_a_plain_nats_subscriber_reads_the_cloudevents_headers(nats_server: NatsServer, tmp_path: Path) -> None:
    """No code of ours on the reading side: a core NATS subscription sees a CloudEvents message."""
    from quickon_common.contracts.deploy import AppInstalled

    nc = await connect(nats_server.url)
    received: asyncio.Queue[nats.aio.msg.Msg] = asyncio.Queue()
    await nc.subscribe("qc.deploy.>", cb=received.put)
    await nc.flush()
    service = Service(
        "deployer",
        migrations=deployer_migrations.MIGRATIONS,
        settings=settings_for(
            "deployer", nats_url=nats_server.url, database_url=f"sqlite:///{tmp_path / 'd.db'}", var_dir=tmp_path
        ),
    )
    async with running(service):
        async with service.outbox.begin(actor="alice") as uow:
            envelope = uow.emit(
                AppInstalled(service="gitea", app="gitea", version="1.2.0", revision=3), subject="default/gitea"
            )
        msg = await asyncio.wait_for(received.get(), 10)
    await nc.close()

    headers = msg.headers or {}
    assert msg.subject == "qc.deploy.install.completed"
    assert {h: headers[h] for h in CE_HEADERS} == {
        "ce-specversion": "1.0",
        "ce-id": envelope.id,
        "ce-source": "deployer",
        "ce-type": "io.quickon.deploy.install.completed.v1",
        "ce-time": headers["ce-time"],
        "ce-subject": "default/gitea",
    }
    assert headers["ce-time"].endswith("Z") and headers["content-type"] == "application/json"
    assert headers["qc-actor"] == "alice" and headers["qc-correlation-id"] == envelope.id
    assert uuid.UUID(headers["ce-id"])
    assert b'"revision":3' in msg.data
