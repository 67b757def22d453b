"""Messages fetched together are applied together, in stream order; a bad one spoils none."""

from __future__ import annotations

import itertools
from pathlib import Path

from quickon_common.consumer import MAX_GROUP, Handling
from quickon_common.contracts.deploy import ServiceStatusChanged
from quickon_common.envelope import Envelope, encode
from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from quickon_monitor.migrations import MIGRATIONS
from support.bus import connect, declare_stream, eventually, publish, running, settings_for, stream_messages
from support.tally import counts, status, tally_service


async def test_events_are_applied_in_stream_order(nats_server: NatsServer, database_url: str, tmp_path: Path) -> None:
    service = Service(
        "monitor",
        migrations=MIGRATIONS,
        settings=settings_for("monitor", nats_url=nats_server.url, database_url=database_url, var_dir=tmp_path),
    )
    applied: list[str] = []

    @service.handles(ServiceStatusChanged)
    async def record(event: ServiceStatusChanged, _handling: Handling[ServiceStatusChanged]) -> None:
        applied.append(event.service)

    names = [f"svc-{i:04d}" for i in range(600)]
    await declare_stream(nats_server.url)
    for name in names[:300]:  # waiting before the service starts: large groups
        await publish(nats_server.url, status(name))
    async with running(service):
        for name in names[300:]:  # arriving one by one: small groups
            await publish(nats_server.url, status(name))
        await eventually(lambda: _length(applied, len(names)), what="every event applied")
    assert applied == names


async def test_a_backlog_is_taken_in_growing_groups_in_stream_order(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    """Groups (one transaction, one session) grow past the batch size while full fetches come back."""
    settings = settings_for("monitor", nats_url=nats_server.url, database_url=database_url, var_dir=tmp_path)
    service = Service("monitor", migrations=MIGRATIONS, settings=settings)
    applied: list[tuple[int, str]] = []  # (the group's number, the event)
    groups = itertools.count()

    @service.handles(ServiceStatusChanged)
    async def record(event: ServiceStatusChanged, handling: Handling[ServiceStatusChanged]) -> None:
        # The session is the group's: number it the first time it is seen.
        applied.append((handling.uow.session.info.setdefault("test-group", next(groups)), event.service))

    names = [f"svc-{i:04d}" for i in range(8 * settings.consumer_batch_size)]
    await declare_stream(nats_server.url)
    nc = await connect(nats_server.url)
    js = nc.jetstream()
    for name in names:  # all waiting before the service starts
        event = status(name)
        subject, headers, body = encode(event, Envelope.new(event, source="deployer"))
        await js.publish_async(subject, body, headers=headers)
    await js.publish_async_completed()
    await nc.close()
    async with running(service):
        await eventually(lambda: _length(applied, len(names)), what="every event applied")
    assert [name for _, name in applied] == names
    sizes = [len(list(group)) for _, group in itertools.groupby(applied, key=lambda entry: entry[0])]
    assert max(sizes) > settings.consumer_batch_size, sizes
    assert max(sizes) <= MAX_GROUP


async def test_a_failing_message_in_a_group_leaves_the_others_applied_once(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        "monitor",
        nats_url=nats_server.url,
        database_url=database_url,
        var_dir=tmp_path,
        consumer_max_tries=2,
        consumer_backoff_s=[0.1],
    )
    await declare_stream(nats_server.url)
    for name in ["good-a", "poison-1", "good-b", "refuse-1", "good-c"]:  # one fetch, one group
        await publish(nats_server.url, status(name))
    service = tally_service(settings)
    async with running(service):
        await eventually(
            lambda: _counted(service, {"good-a": 1, "good-b": 1, "good-c": 1}), what="the good ones applied"
        )
        await eventually(lambda: _dead_letters(nats_server.url, 2), what="poison and refusal dead-lettered")
    assert await counts(service.db) == {"good-a": 1, "good-b": 1, "good-c": 1}
    letters = await stream_messages(nats_server.url, "qc.dlq.>")
    assert sorted((m.headers or {})["qc-dlq-reason"] for m in letters) == [
        "RuntimeError: cannot handle poison-1",
        "refused: refuse-1 is never acceptable",
    ]


async def _length(items: list[str], expected: int) -> bool:
    return len(items) >= expected


async def _counted(service: Service, expected: dict[str, int]) -> bool:
    return await counts(service.db) == expected


async def _dead_letters(url: str, expected: int) -> bool:
    return len(await stream_messages(url, "qc.dlq.>")) >= expected
