"""Channels saved and deleted on request, and the deliveries each followed event owes.

A delivery is only recorded here, in the transaction that claims the event in the inbox: sending is the
delivery worker's (:mod:`.delivery`), so a slow or dead receiver never holds up the event stream, and an
event whose delivery was recorded is sent even if the process dies right after.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlmodel import col, select

from quickon_common.consumer import Handling
from quickon_common.contracts import Event
from quickon_common.contracts.backup import BackupEvent
from quickon_common.contracts.channels import (
    ChannelDefinition,
    NotificationChannelDeleted,
    NotificationChannelDeleteFailed,
    NotificationChannelDeleteRequested,
    NotificationChannelSaved,
    NotificationChannelSaveFailed,
    NotificationChannelSaveRequested,
)
from quickon_common.contracts.common import Failure, Success
from quickon_common.contracts.deploy import ServiceEvent
from quickon_common.contracts.monitor import AlertEvent
from quickon_common.envelope import Envelope
from quickon_common.outbox import UnitOfWork
from quickon_common.sealing import Sealer, SealError
from quickon_common.service import Service

from .domain import notice_of, wants
from .models import AttemptRecord, ChannelRecord, DeliveryRecord


def _subject(channel_id: str) -> str:
    return f"notification-channels/{channel_id}"


def register(service: Service, *, sealer: Sealer, wake: Callable[[], None]) -> None:
    """Wire the channel requests and the followed events into ``service``."""

    @service.handles(NotificationChannelSaveRequested)
    async def save_channel(
        event: NotificationChannelSaveRequested, handling: Handling[NotificationChannelSaveRequested]
    ) -> None:
        """Create or replace a channel of the request's team; refused when it is another team's."""
        uow, team = handling.uow, handling.envelope.team
        found = await uow.session.get(ChannelRecord, event.channel_id)
        reason = _refusal(found, event, team, sealer)
        if reason is not None:
            failed = NotificationChannelSaveFailed(operation_id=event.operation_id, channel_id=event.channel_id,
                                                   reason=reason, step="save")  # fmt: skip
            uow.emit(failed, subject=_subject(event.channel_id))
            return
        now = datetime.now(UTC)
        definition = event.definition.model_dump(mode="json")
        if found is None:
            found = ChannelRecord(id=event.channel_id, team=team, definition=definition,
                                  sealed_target=event.sealed_target or "", created_at=now, updated_at=now)  # fmt: skip
        else:
            found.definition, found.updated_at = definition, now
            if event.sealed_target is not None:
                found.sealed_target = event.sealed_target
        uow.session.add(found)
        saved = NotificationChannelSaved(operation_id=event.operation_id, channel_id=event.channel_id,
                                         name=event.definition.name, kind=event.definition.kind)  # fmt: skip
        uow.emit(saved, subject=_subject(event.channel_id))

    @service.handles(NotificationChannelDeleteRequested)
    async def delete_channel(
        event: NotificationChannelDeleteRequested, handling: Handling[NotificationChannelDeleteRequested]
    ) -> None:
        """Delete a channel of the request's team; what it still owed is not sent."""
        uow, team = handling.uow, handling.envelope.team
        found = await uow.session.get(ChannelRecord, event.channel_id)
        if found is None or found.team != team:
            reason = f"there is no channel {event.channel_id!r} of this team"
            failed = NotificationChannelDeleteFailed(operation_id=event.operation_id, channel_id=event.channel_id,
                                                     reason=reason, step="delete")  # fmt: skip
            uow.emit(failed, subject=_subject(event.channel_id))
            return
        await uow.session.delete(found)
        # Its log goes with it (nobody can read it without the channel), and what it still owed is not sent.
        owed = select(DeliveryRecord.id).where(DeliveryRecord.channel_id == found.id)
        await uow.session.exec(delete(AttemptRecord).where(col(AttemptRecord.delivery_id).in_(owed)))
        await uow.session.exec(delete(DeliveryRecord).where(col(DeliveryRecord.channel_id) == found.id))
        deleted = NotificationChannelDeleted(operation_id=event.operation_id, channel_id=event.channel_id)
        uow.emit(deleted, subject=_subject(event.channel_id))

    async def owe(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        """Record a pending delivery of ``event`` for every channel that wants it."""
        notice = notice_of(event, envelope)
        if notice is None:
            return
        query = select(ChannelRecord).where(
            col(ChannelRecord.team).is_(None) if notice.team is None else ChannelRecord.team == notice.team
        )
        now, owed = datetime.now(UTC), 0
        for channel in (await uow.session.exec(query)).all():
            definition = ChannelDefinition.model_validate(channel.definition)
            if not wants(definition, channel_id=channel.id, channel_team=channel.team, notice=notice):
                continue
            uow.session.add(DeliveryRecord(
                id=str(uuid.uuid4()), channel_id=channel.id, event_id=notice.event_id, event_type=notice.event_type,
                notice=notice.model_dump(mode="json"), state="pending", next_at=now, created_at=now,
            ))  # fmt: skip
            owed += 1
        if owed:
            uow.after_commit(wake)

    @service.handles(AlertEvent, subject="qc.monitor.alert.>", name="notify_alerts")
    async def notify_alerts(event: AlertEvent, handling: Handling[AlertEvent]) -> None:
        """Owe every alert fired or resolved to the channels that want it."""
        await owe(event, handling.envelope, handling.uow)

    outcomes = (Success, Failure)

    @service.handles(ServiceEvent, subject="qc.deploy.>", name="notify_deploy", only=outcomes)
    async def notify_deploy(event: ServiceEvent, handling: Handling[ServiceEvent]) -> None:
        """Owe the outcome of installs and upgrades to the channels that want it."""
        await owe(event, handling.envelope, handling.uow)

    @service.handles(BackupEvent, subject="qc.backup.>", name="notify_backup", only=outcomes)
    async def notify_backup(event: BackupEvent, handling: Handling[BackupEvent]) -> None:
        """Owe the outcome of backups to the channels that want it."""
        await owe(event, handling.envelope, handling.uow)


def _refusal(
    found: ChannelRecord | None, event: NotificationChannelSaveRequested, team: str | None, sealer: Sealer
) -> str | None:
    """Why the save cannot be done, or None."""
    if found is None and not event.create:
        return f"there is no channel {event.channel_id!r} to change"
    if found is not None and (event.create or found.team != team):
        return f"channel {event.channel_id!r} exists already" if found.team == team else "it is another team's channel"
    if found is None and event.sealed_target is None:
        return "a new channel needs its address (url, or an SMTP server)"
    if event.sealed_target is not None:
        try:
            sealer.open(event.sealed_target)
        except SealError as error:
            return f"the channel's address cannot be opened with the platform key: {error}"
    return None
