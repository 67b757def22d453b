"""NATS going away: at start-up the service waits and says so; while running nothing is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from quickon_common.contracts.deploy import ServiceStatusChanged
from quickon_common.natsserver import NatsServer, free_port
from quickon_common.service import Service
from support.bus import bus_credentials, eventually, running, settings_for, stream_messages
from support.tally import status, tally_service, total

WRITES = 600


async def test_events_written_while_nats_restarts_are_all_published_and_applied(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    service = tally_service(
        settings_for("monitor", nats_url=nats_server.url, database_url=database_url, var_dir=tmp_path)
    )
    async with running(service):

        async def write() -> None:
            for i in range(WRITES):  # one transaction per event, as handlers write them
                async with service.outbox.begin() as uow:
                    uow.emit(status(f"svc-{i}"))
                await asyncio.sleep(0.005)

        writer = asyncio.create_task(write())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(nats_server.stop)
        await eventually(lambda: _not_ready(service), what="the service to notice NATS is gone")
        await asyncio.sleep(1.5)
        backlog_while_down = await service.relay.backlog()
        await asyncio.to_thread(nats_server.start)
        await writer
        await eventually(lambda: _drained(service), timeout_s=60, what="the outbox to drain after the restart")
        await eventually(lambda: _applied(service, WRITES), timeout_s=60, what=f"all {WRITES} events to be applied")

    assert backlog_while_down > 0, "events were written while NATS was down"
    stored = await stream_messages(nats_server.url, ServiceStatusChanged.subject)
    ids = {m.headers["ce-id"] for m in stored if m.headers}
    assert len(stored) == len(ids) == WRITES


async def test_a_service_started_before_nats_waits_says_why_and_then_works(tmp_path: Path) -> None:
    port = free_port()
    url = f"nats://127.0.0.1:{port}"
    service = tally_service(
        settings_for("monitor", nats_url=url, database_url=f"sqlite:///{tmp_path / 'm.db'}", var_dir=tmp_path)
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=service.asgi()), base_url="http://service")
    await service.start()
    server = NatsServer(tmp_path / "nats", port=port, credentials=bus_credentials())
    try:
        await eventually(lambda: _reason_mentions(client, "cannot reach NATS"), what="/readyz to name the missing NATS")
        assert (await client.get("/healthz")).status_code == 200, "alive while waiting"
        async with service.outbox.begin() as uow:  # work accepted before NATS is there is kept
            uow.emit(status("early"))
        server.start()
        await eventually(lambda: _http_ready(client), what="/readyz to turn 200 once NATS is up")
        await eventually(lambda: _applied(service, 1), what="the early event to be published and applied")
    finally:
        await service.stop()
        server.stop()
        await client.aclose()


async def _reason_mentions(client: httpx.AsyncClient, text: str) -> bool:
    response = await client.get("/readyz")
    return response.status_code == 503 and text in response.json()["checks"]["nats"]


async def _http_ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def _not_ready(service: Service) -> bool:
    return not service.ready


async def _drained(service: Service) -> bool:
    return await service.relay.backlog() == 0


async def _applied(service: Service, expected: int) -> bool:
    return await total(service.db) == expected
