"""A durable consumer can follow every event of a context (a subject wildcard), each decoded by the
registry: those of its contract (a base class will do) are handled, the others skipped, none dead-lettered.
One that wants only some of them (``only``: outcomes, say) skips the others without a transaction: no
inbox claim of theirs is written."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from quickon_common.consumer import Handling
from quickon_common.contracts.common import OperationEvent, Success
from quickon_common.contracts.deploy import AppInstalled, SagaStepRecorded, ServiceStatusChanged
from quickon_common.contracts.market import RepositoryRemoved
from quickon_common.contracts.queries.base import NoRequest
from quickon_common.inbox import InboxRecord
from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from quickon_gateway.migrations import MIGRATIONS
from support.bus import declare_stream, eventually, publish, running, settings_for, stream_messages


async def test_a_consumer_follows_a_subject_wildcard(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    service = Service(
        "gateway",
        migrations=MIGRATIONS,
        settings=settings_for("gateway", nats_url=url, database_url=database_url, var_dir=tmp_path),
    )
    every: list[str] = []
    installed: list[str] = []

    @service.handles(OperationEvent, subject="qc.deploy.>")
    async def follow(event: OperationEvent, handling: Handling[OperationEvent]) -> None:
        every.append(f"{type(event).__name__}:{event.operation_id}:{handling.envelope.actor}")

    @service.handles(AppInstalled, subject="qc.deploy.>", name="installs")
    async def only_installs(event: AppInstalled, _handling: Handling[AppInstalled]) -> None:
        installed.append(event.service)

    outcomes: list[str] = []

    @service.handles(OperationEvent, subject="qc.deploy.>", name="outcomes", only=(Success,))
    async def only_outcomes(event: OperationEvent, _handling: Handling[OperationEvent]) -> None:
        outcomes.append(type(event).__name__)

    await declare_stream(url)
    await publish(
        url, SagaStepRecorded(service="a", operation="install", step="render", state="started", operation_id="1")
    )
    await publish(url, RepositoryRemoved(repository="elsewhere", operation_id="2"))  # another context: not followed
    async with running(service):
        await publish(url, ServiceStatusChanged(service="a", status="running", operation_id="3"))
        await publish(url, AppInstalled(service="a", app="redis", version="1.0.0", revision=1, operation_id="4"))

        async def all_seen() -> bool:
            return len(every) == 3 and installed == ["a"] and outcomes == ["AppInstalled"]

        await eventually(all_seen, what="every deploy event followed")
        assert every == ["SagaStepRecorded:1:None", "ServiceStatusChanged:3:None", "AppInstalled:4:None"]
        consumers = {c.durable: c for c in (await service._info(NoRequest())).consumers}
        assert consumers["gateway-follow"].subject == "qc.deploy.>"
        async with service.db.read_session() as session:
            claims = (await session.exec(select(InboxRecord).where(InboxRecord.consumer == "gateway-outcomes"))).all()
        assert len(claims) == 1  # the outcome's: the step and the status change cost no transaction
    assert await stream_messages(url, "qc.dlq.>") == []
