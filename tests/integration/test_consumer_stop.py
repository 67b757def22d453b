"""A replica that stops hands back what its consumers were sent: the other replica applies it at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from quickon_common.consumer import Handling
from quickon_common.contracts.deploy import ServiceStatusChanged
from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from quickon_monitor.migrations import MIGRATIONS
from support.bus import declare_stream, eventually, publish, running, settings_for
from support.tally import status

ACK_WAIT_S = 120  # what the server waits before sending again an event a consumer took and never settled
# Well under ACK_WAIT_S: an event left with the stopped replica would only come back after it.
HANDED_BACK_S = 30


def replica(
    nats_url: str, database_url: str, var_dir: Path, applied: list[str], *, stuck_on: asyncio.Event | None = None
) -> Service:
    """A replica of a service that records the events it applies; with ``stuck_on``, it never gets past
    the event named "stuck" (it sets ``stuck_on`` when it gets there), as a replica stopped mid-group."""
    settings = settings_for(
        "monitor", nats_url=nats_url, database_url=database_url, var_dir=var_dir, consumer_ack_wait_s=ACK_WAIT_S
    )
    service = Service("monitor", migrations=MIGRATIONS, settings=settings)

    @service.handles(ServiceStatusChanged)
    async def record(event: ServiceStatusChanged, _handling: Handling[ServiceStatusChanged]) -> None:
        if event.service == "stuck" and stuck_on is not None:
            stuck_on.set()
            await asyncio.Event().wait()
        applied.append(event.service)

    return service


async def test_events_sent_to_a_stopping_replica_are_applied_by_the_other_without_waiting_ack_wait(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    # Idle, each replica's consumer has a fetch waiting at the server (5 s). The first stops; events published
    # while its fetch would still have been waiting go to the second, not with the first for ACK_WAIT_S.
    await declare_stream(nats_server.url)
    first_applied: list[str] = []
    second_applied: list[str] = []
    first = replica(nats_server.url, database_url, tmp_path / "first", first_applied)
    second = replica(nats_server.url, database_url, tmp_path / "second", second_applied)
    names = [f"svc-{n:02d}" for n in range(40)]
    async with running(second):
        async with running(first):
            await publish(nats_server.url, status("warm-up"))
            await eventually(lambda: _has(first_applied + second_applied, "warm-up"), what="the warm-up applied")
        for name in names:
            await publish(nats_server.url, status(name))
        await eventually(
            lambda: _has_all(second_applied, names), timeout_s=HANDED_BACK_S, what="every event applied by the second"
        )
    assert not set(names) & set(first_applied)


async def test_a_group_a_replica_was_applying_when_it_stopped_is_applied_by_the_other_without_waiting_ack_wait(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    await declare_stream(nats_server.url)
    stuck_on = asyncio.Event()
    first_applied: list[str] = []
    second_applied: list[str] = []
    first = replica(nats_server.url, database_url, tmp_path / "first", first_applied, stuck_on=stuck_on)
    second = replica(nats_server.url, database_url, tmp_path / "second", second_applied)
    await first.start()
    try:
        await eventually(lambda: _ready(first), what="the first replica to be ready")
        await publish(nats_server.url, status("stuck"))  # the first alone is there: it takes it
        await asyncio.wait_for(stuck_on.wait(), timeout=HANDED_BACK_S)
    finally:
        await first.stop()
    async with running(second):
        await eventually(
            lambda: _has(second_applied, "stuck"), timeout_s=HANDED_BACK_S, what="the stuck event applied by the second"
        )
    assert first_applied == []


async def _ready(service: Service) -> bool:
    return all(reason is None for reason in service.all_checks().values())


async def _has(applied: list[str], name: str) -> bool:
    return name in applied


async def _has_all(applied: list[str], names: list[str]) -> bool:
    return set(names) <= set(applied)
