"""The channel queries: channels, one channel, its delivery log, and a test message sent now.

A team's channels are seen by its members, the platform's by platform admins only (a channel of no team
is not "everyone's": its messages may be the platform's own).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from quickon_common.contracts.channels import ChannelDefinition
from quickon_common.contracts.queries import Caller
from quickon_common.contracts.queries import channels as contract
from quickon_common.contracts.queries.channels import ChannelRequest, ChannelsRequest, DeliveriesRequest
from quickon_common.queries import QueryError, caller_of
from quickon_common.service import Service

from .delivery import DeliveryWorker, aware
from .domain import Notice
from .models import AttemptRecord, ChannelRecord, DeliveryRecord


def _at(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment else None


def sees(caller: Caller, team: str | None) -> bool:
    return caller.is_admin or (team is not None and team in caller.teams)


def channel_view(channel: ChannelRecord) -> contract.Channel:
    return contract.Channel(
        channel_id=channel.id, team=channel.team, definition=ChannelDefinition.model_validate(channel.definition),
        failing=channel.failing, created_at=_at(channel.created_at), updated_at=_at(channel.updated_at),
    )  # fmt: skip


def _delivery_view(delivery: DeliveryRecord, attempts: list[AttemptRecord]) -> dict[str, Any]:
    return {
        "delivery_id": delivery.id, "event_id": delivery.event_id, "event_type": delivery.event_type,
        "state": delivery.state, "tries": delivery.tries, "created_at": _at(delivery.created_at),
        "finished_at": _at(delivery.finished_at),
        "attempts": [{"number": a.number, "at": _at(a.at), "ok": a.ok, "status": a.status, "detail": a.detail}
                     for a in attempts],
    }  # fmt: skip


def register(service: Service, *, worker: DeliveryWorker) -> None:
    """Wire the channel queries into ``service``."""

    async def visible(request: ChannelRequest) -> ChannelRecord:
        caller = caller_of(request)
        async with service.db.read_session() as session:
            found = await session.get(ChannelRecord, request.channel_id)
        if found is None or not sees(caller, found.team):
            raise QueryError(404, f"there is no notification channel {request.channel_id!r} you may see")
        return found

    @service.answers(contract.CHANNELS)
    async def channels(request: ChannelsRequest) -> contract.ChannelList:
        caller = caller_of(request)
        query = select(ChannelRecord).order_by(col(ChannelRecord.created_at), col(ChannelRecord.id))
        if not caller.is_admin:
            query = query.where(col(ChannelRecord.team).in_(caller.teams))
        async with service.db.read_session() as session:
            rows = (await session.exec(query)).all()
        return contract.ChannelList(channels=[channel_view(c) for c in rows])

    @service.answers(contract.CHANNEL)
    async def channel(request: ChannelRequest) -> contract.Channel:
        return channel_view(await visible(request))

    @service.answers(contract.DELIVERIES)
    async def deliveries(request: DeliveriesRequest) -> contract.Deliveries:
        found = await visible(request)
        query = (
            select(DeliveryRecord).where(DeliveryRecord.channel_id == found.id)
            .order_by(col(DeliveryRecord.created_at).desc(), col(DeliveryRecord.id)).limit(request.limit)
        )  # fmt: skip
        async with service.db.read_session() as session:
            rows = list((await session.exec(query)).all())
            ids = [r.id for r in rows]
            attempts = (await session.exec(
                select(AttemptRecord).where(col(AttemptRecord.delivery_id).in_(ids)).order_by(col(AttemptRecord.id))
            )).all() if ids else []  # fmt: skip
        by_delivery: dict[str, list[AttemptRecord]] = {}
        for attempt in attempts:
            by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
        views = [_delivery_view(r, by_delivery.get(r.id, [])) for r in rows]
        return contract.Deliveries.model_validate({"channel_id": found.id, "deliveries": views})

    @service.answers(contract.TEST_CHANNEL)
    async def test_channel(request: ChannelRequest) -> contract.ChannelTestResult:
        """Send a test message now; it goes in the delivery log like any other."""
        found = await visible(request)
        now, event_id = datetime.now(UTC), str(uuid.uuid4())
        notice = Notice(topic="test", event_id=event_id, event_type="test", time=now, team=found.team)
        receipt = await worker.send(found, notice, key=f"{event_id}:{found.id}")
        async with service.outbox.transaction() as session:
            delivery = DeliveryRecord(
                id=str(uuid.uuid4()), channel_id=found.id, event_id=event_id, event_type="test",
                notice=notice.model_dump(mode="json"), state="delivered" if receipt.ok else "failed", tries=1,
                next_at=now, created_at=now, finished_at=datetime.now(UTC),
            )  # fmt: skip
            session.add(delivery)
            session.add(AttemptRecord(delivery_id=delivery.id, number=1, at=now, ok=receipt.ok,
                                      status=receipt.status, detail=receipt.detail or "-"))  # fmt: skip
        return contract.ChannelTestResult(ok=receipt.ok, status=receipt.status, detail=receipt.detail)
