"""The durable consumer of everything in the stream (``qc.>``, dead letters included), into the log.

Not the contract-decoding ``Service.handles``: the audit log records every message, even one no
contract decodes, and never dead-letters. A fetched batch is appended in one transaction and only
then acknowledged, so a crash in between redelivers and the log's unique event ids drop the repeat.
When the database fails the batch is not acknowledged and comes back after a short delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from quickon_common.telemetry import message_spans

from . import intake
from .appender import AuditLog

log = logging.getLogger(__name__)
DURABLE = "audit-log"
RETRY_DELAY_S = 1.0


class StreamReader:
    """Follows the whole stream with one durable consumer that every replica shares."""

    def __init__(
        self,
        audit: AuditLog,
        *,
        stream: str,
        batch_size: int,
        ack_wait_s: float,
        clock: Callable[[], datetime],
        report: Callable[[str | None], None] = lambda _reason: None,
    ) -> None:
        self.audit = audit
        self.stream = stream
        self.batch_size = batch_size
        self.ack_wait_s = ack_wait_s
        self.clock = clock
        self._report = report
        self.last_error: str | None = "not started yet"
        self.received = 0  # messages appended or found repeated by this replica

    async def run(self, js: JetStreamContext) -> None:
        """Fetch and append until cancelled; trouble is logged, reported and retried, never raised.

        Two batches overlap: while one is appended (the database commits, off the event loop), the
        next is fetched and read."""
        subscription = None
        appending: asyncio.Task[None] | None = None
        wait = 0.1
        try:
            while True:
                try:
                    if subscription is None:
                        subscription = await self._subscribe(js)
                        self._set_error(None)
                    try:
                        messages = await subscription.fetch(self.batch_size, timeout=1)
                    except (TimeoutError, NatsTimeoutError):
                        continue
                    batch = self.read(messages)
                    if appending is not None:
                        await appending
                    appending = asyncio.create_task(self.process(messages, batch))
                    wait = 0.1
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    if isinstance(error, NotFoundError):
                        subscription = None
                    self._set_error(f"{type(error).__name__}: {error}")
                    log.warning("audit intake: %s; again in %.1fs", self.last_error, wait)
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, 5.0)
        finally:
            if appending is not None:  # let the batch in hand finish: it commits and acks, or naks
                with contextlib.suppress(BaseException):
                    await asyncio.shield(appending)
            if subscription is not None:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    async def _subscribe(self, js: JetStreamContext) -> JetStreamContext.PullSubscription:
        try:
            await js.consumer_info(self.stream, DURABLE)
        except NotFoundError:
            # No filter: every subject the stream holds, now and as contexts are added to it.
            config = ConsumerConfig(
                durable_name=DURABLE,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self.ack_wait_s,
                max_ack_pending=max(10_000, self.batch_size * 20),
            )
            with contextlib.suppress(Exception):  # another replica made it at the same moment
                await js.add_consumer(self.stream, config)
        return await js.pull_subscribe_bind(DURABLE, self.stream)

    def read(self, messages: list[Msg]) -> list[intake.Incoming]:
        """What a fetch becomes in the log, in stream order."""
        messages.sort(key=lambda m: m.metadata.sequence.stream)
        received = self.clock()
        return [
            intake.read(m.subject, m.headers, m.data, stream_seq=m.metadata.sequence.stream, received=received)
            for m in messages
        ]

    async def process(self, messages: list[Msg], batch: list[intake.Incoming] | None = None) -> None:
        """Append one fetch in one transaction, then acknowledge it; on failure nothing is acknowledged
        and the messages come back after a short delay. Never raises."""
        if batch is None:
            batch = self.read(messages)
        try:
            with message_spans("append", ((m.subject, m.headers) for m in messages)):
                await self.audit.append(batch)
        except Exception as error:
            self._set_error(f"cannot append, the events wait in the stream: {type(error).__name__}: {error}")
            log.warning(self.last_error)
            for message in messages:
                with contextlib.suppress(Exception):
                    await message.nak(delay=RETRY_DELAY_S)
            await asyncio.sleep(RETRY_DELAY_S)
            return
        try:
            for message in messages:
                await message.ack()
        except Exception as error:  # NATS away: the batch comes back, and its ids are in the log already
            self._set_error(f"cannot acknowledge: {type(error).__name__}: {error}")
            return
        self.received += len(messages)
        self._set_error(None)

    def _set_error(self, reason: str | None) -> None:
        self.last_error = reason
        self._report(reason)
