"""A deleted QUICKON stream comes back with the same config while a service runs; nothing it
owed is lost and what is published afterwards is handled."""

from __future__ import annotations

import uuid
from pathlib import Path

from nats.js.api import StreamConfig
from nats.js.errors import NoStreamResponseError, NotFoundError

from quickon_common.contracts.monitor import AlertResolved
from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from support.bus import connect, events, eventually, publish, running, settings_for
from support.tally import counts, status, tally_service


async def stream_config(nats_url: str) -> StreamConfig | None:
    nc = await connect(nats_url)
    try:
        return (await nc.jetstream().stream_info("QUICKON")).config
    except NotFoundError:
        return None
    finally:
        await nc.close()


async def publish_when_stored(nats_url: str, name: str) -> bool:
    """Publish a command as the gateway would; False while no stream takes it."""
    try:
        await publish(nats_url, status(name))
    except NoStreamResponseError:
        return False
    return True


async def test_a_deleted_stream_is_recreated_and_nothing_owed_is_lost(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    service = tally_service(
        settings_for("monitor", nats_url=nats_server.url, database_url=database_url, var_dir=tmp_path)
    )
    async with running(service):
        await publish(nats_server.url, status("before"))
        await eventually(lambda: _counted(service, "before"), what="the first event to be handled")
        config_before = await stream_config(nats_server.url)
        assert config_before is not None

        nc = await connect(nats_server.url)
        try:
            await nc.jetstream().delete_stream("QUICKON")
        finally:
            await nc.close()

        # Events the service owes while there is no stream: its relay must not lose them.
        owed = [AlertResolved(alert_id=str(uuid.uuid4()), rule="manual", service=f"owed-{i}") for i in range(5)]
        async with service.outbox.begin() as uow:
            emitted = [uow.emit(event) for event in owed]

        # Commands keep coming; the publisher retries until a stream takes them.
        for name in ("after-1", "after-2"):
            await eventually(lambda name=name: publish_when_stored(nats_server.url, name), what=f"{name} to be stored")
        await eventually(lambda: _counted(service, "after-1", "after-2"), timeout_s=60, what="the later commands")

        config_after = await stream_config(nats_server.url)
        assert config_after is not None
        for key in ("subjects", "storage", "retention", "discard", "max_age", "duplicate_window", "num_replicas"):
            assert getattr(config_after, key) == getattr(config_before, key), key

    stored = {envelope.id for _, envelope in await events(nats_server.url, "qc.monitor.>")}
    assert {envelope.id for envelope in emitted} <= stored, "an event owed while the stream was gone was lost"
    assert await counts(service.db) == {"before": 1, "after-1": 1, "after-2": 1}


async def _counted(service: Service, *names: str) -> bool:
    tallies = await counts(service.db)
    return all(tallies.get(name) == 1 for name in names)
