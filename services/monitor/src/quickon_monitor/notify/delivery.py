"""The delivery worker: sends what is owed, with retries and back-off, and records every try.

Due deliveries are claimed in a short transaction that pushes their next try past the time a send can
take (a lease: another replica, or this one after a crash, takes them up once it has passed); the sends
run outside any transaction; each result is recorded in a transaction of its own. A delivery recorded
delivered is never sent again; one whose process died mid-send is sent again with the same
``Idempotency-Key`` and ``X-QuickOn-Event-Id``, so a receiver sees it once. After the last try the
delivery is failed and the channel raises the component alert ``notification-channel-failing`` (through
the outbox); its next delivery that succeeds resolves it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from quickon_common.contracts.channels import ChannelDefinition
from quickon_common.contracts.monitor import AlertFired, AlertResolved
from quickon_common.logs import event_context
from quickon_common.outbox import Outbox
from quickon_common.sealing import Sealer, SealError

from .adapters.senders import Receipt, Sender, Target
from .domain import CHANNEL_FAILING_RULE, Notice, backoff_s, failing_alert_id
from .messages import render
from .models import AttemptRecord, ChannelRecord, DeliveryRecord
from .settings import NotifySettings

log = logging.getLogger(__name__)


def aware(moment: datetime) -> datetime:
    # SQLite gives naive datetimes back; every one stored here is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class DeliveryWorker:
    """Sends owed deliveries; :meth:`wake` after a commit that owes some."""

    outbox: Outbox
    sender: Sender
    sealer: Sealer
    settings: NotifySettings
    public_url: str
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _failpoints: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self._failpoints = set(self.settings.failpoints)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Send what is due, until cancelled; at most ``batch`` sends at once, each started as soon as a place
        is free, so a receiver that takes its whole timeout holds up one place, not the others' messages."""
        sending: set[asyncio.Task[None]] = set()
        try:
            while True:
                free = self.settings.batch - len(sending)
                for delivery, channel in await self._due(free) if free > 0 else []:
                    task = asyncio.create_task(self._deliver(delivery, channel))
                    sending.add(task)
                    task.add_done_callback(sending.discard)
                self._wake.clear()
                woken = asyncio.create_task(self._wake.wait())
                try:  # until more is owed, a send ends (a place is free), or the poll comes round
                    await asyncio.wait({woken, *sending}, timeout=self.settings.poll_s,
                                       return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                finally:
                    woken.cancel()
        finally:
            # Stopping: the sends end before the worker does, none left to write to a database being closed.
            for task in sending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)

    async def _due(self, limit: int) -> list[tuple[DeliveryRecord, ChannelRecord | None]]:
        try:
            return await self._claim(limit)
        except Exception as error:  # the database away: the next round tries again
            log.warning("cannot read due deliveries now: %s: %s", type(error).__name__, error)
            return []

    async def _claim(self, limit: int) -> list[tuple[DeliveryRecord, ChannelRecord | None]]:
        now = datetime.now(UTC)
        lease = timedelta(seconds=self.settings.lease_s)
        query = (
            select(DeliveryRecord)
            .where(DeliveryRecord.state == "pending", col(DeliveryRecord.next_at) <= now)
            .order_by(col(DeliveryRecord.next_at))
            .limit(limit)
        )
        async with self.outbox.transaction() as session:
            if not self.outbox.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.exec(query)).all())
            claimed = []
            for row in rows:
                row.next_at = now + lease
                session.add(row)
                claimed.append((row, await session.get(ChannelRecord, row.channel_id)))
        return claimed

    async def _deliver(self, delivery: DeliveryRecord, channel: ChannelRecord | None) -> None:
        with event_context(event_id=delivery.event_id):
            try:
                await self._deliver_now(delivery, channel)
            except Exception as error:  # the database away while recording: the lease lapses, it is tried again
                log.warning("delivery %s not recorded: %s: %s", delivery.id, type(error).__name__, error)

    async def _deliver_now(self, delivery: DeliveryRecord, channel: ChannelRecord | None) -> None:
        if channel is None:
            await self._record(delivery.id, Receipt(False, None, "the channel was deleted; not sent"), last=True)
            return
        notice = Notice.model_validate(delivery.notice)
        receipt = await self.send(channel, notice, key=f"{delivery.event_id}:{channel.id}")
        self._failpoint("after_send")
        await self._record(delivery.id, receipt, last=False)

    async def send(self, channel: ChannelRecord, notice: Notice, *, key: str) -> Receipt:
        """Send ``notice`` to ``channel`` now (also the test message's way) and say how it went."""
        definition = ChannelDefinition.model_validate(channel.definition)
        try:
            target = Target.of(self.sealer.open(channel.sealed_target))
        except SealError as error:
            return Receipt(False, None, f"the channel's address cannot be opened with the platform key: {error}")
        message = render(notice, language=definition.language, public_url=self.public_url)
        self._failpoint("before_send")
        return await self.sender.send(definition, target, message, notice.model_dump(mode="json"), key=key)

    async def _record(self, delivery_id: str, receipt: Receipt, *, last: bool) -> None:
        now = datetime.now(UTC)
        async with self.outbox.transaction() as session:
            delivery = await session.get(DeliveryRecord, delivery_id)
            if delivery is None or delivery.state != "pending":
                return  # recorded by another replica whose lease this one outlived
            delivery.tries += 1
            session.add(AttemptRecord(delivery_id=delivery.id, number=delivery.tries, at=now, ok=receipt.ok,
                                      status=receipt.status, detail=receipt.detail or "-"))  # fmt: skip
            # Locked (on PostgreSQL; SQLite's writers take turns anyway): two deliveries failing at once must
            # not both see the channel healthy and both raise its alert.
            channel = await session.get(ChannelRecord, delivery.channel_id, with_for_update=True)
            if receipt.ok:
                delivery.state, delivery.finished_at = "delivered", now
            elif last or delivery.tries >= self.settings.tries:
                delivery.state, delivery.finished_at = "failed", now
                log.warning("delivery to channel %s failed after %d tries: %s", delivery.channel_id,
                            delivery.tries, receipt.detail)  # fmt: skip
            else:
                wait = backoff_s(
                    tries=delivery.tries, first_s=self.settings.backoff_s, max_s=self.settings.backoff_max_s
                )
                delivery.next_at = now + timedelta(seconds=wait)
            session.add(delivery)
            if channel is not None and delivery.state != "pending":
                self._alert(session, channel, failed=delivery.state == "failed", reason=receipt.detail)

    def _alert(self, session: AsyncSession, channel: ChannelRecord, *, failed: bool, reason: str) -> None:
        """Fire the channel's component alert when it starts failing; resolve it when it works again."""
        if failed == channel.failing:
            return
        channel.failing = failed
        uow = self.outbox.unit(session, team=channel.team)
        uow.session.add(channel)
        name = ChannelDefinition.model_validate(channel.definition).name
        alert_id = failing_alert_id(channel.id)
        if failed:
            summary = f"notification channel {name!r} ({channel.id}) failed after every try: {reason}"
            uow.emit(AlertFired(alert_id=alert_id, rule=CHANNEL_FAILING_RULE, severity="warning", summary=summary),
                     subject=f"notification-channels/{channel.id}")  # fmt: skip
        else:
            uow.emit(AlertResolved(alert_id=alert_id, rule=CHANNEL_FAILING_RULE, severity="warning"),
                     subject=f"notification-channels/{channel.id}")  # fmt: skip

    async def prune(self) -> int:
        """Delete the deliveries finished more than ``log_keep_s`` ago, with their attempts; how many."""
        cutoff = datetime.now(UTC) - timedelta(seconds=self.settings.log_keep_s)
        old = select(DeliveryRecord.id).where(
            DeliveryRecord.state != "pending", col(DeliveryRecord.finished_at) < cutoff
        )
        async with self.outbox.transaction() as session:
            await session.exec(delete(AttemptRecord).where(col(AttemptRecord.delivery_id).in_(old)))
            result = await session.exec(delete(DeliveryRecord).where(col(DeliveryRecord.id).in_(old)))
        return int(result.rowcount)

    async def prune_delivery_log(self) -> None:
        """:meth:`prune`, telling how many went (a periodic job of the leading replica)."""
        if pruned := await self.prune():
            log.info("pruned %d deliveries from the delivery log", pruned)

    def _failpoint(self, name: str) -> None:
        if name in self._failpoints:
            self._failpoints.discard(name)
            log.warning("failpoint %s: stopping this process", name)
            os.kill(os.getpid(), signal.SIGSTOP)
