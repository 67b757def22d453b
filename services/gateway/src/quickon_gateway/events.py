"""The event feed behind ``GET /api/v1/events``: the QUICKON stream read with ephemeral consumers.

Each message is identified by its stream sequence, so a client resumes exactly where it stopped
(``Last-Event-ID`` or ``after``). ``last=N`` starts with the last N events the caller may see: the
stream is read backwards in growing windows until N are found, since a context filter and the
visibility rule make the count of stored messages no guide. Without ``follow`` the feed ends once
it has delivered what the stream held when it was opened. A message that is not a valid event (a
dead letter) is skipped; every event is redacted (secret fields replaced) before it leaves.

A window read up to a sequence ends only when the consumer has delivered a message at or past it:
the feed's end is the sequence of the last message on its subject, so one always exists, while
the stream grows or not. Neither a fetch that waited in vain nor a delivered message's pending
count ends it: under load either made a window stop short, and ``last=N`` then answered an older
window (265-267 instead of 267-269). When the stream does not deliver, the read fails instead.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from quickon_common.envelope import MalformedEvent, decode

from .principal import Principal
from .visibility import visible

log = logging.getLogger(__name__)

BATCH = 256
FOLLOW_WAIT_S = 5.0  # how long one fetch waits for new events while following
CATCH_UP_WAIT_S = 5.0
CATCH_UP_TRIES = 6  # fetches in a row that may deliver nothing before a bounded read gives up
# The first window of ``last=N``: twice N (most events are visible to most readers), and at least this many
# sequences. Each event read is decoded and checked on the event loop: the dashboard's last 20 once read 256,
# holding the requests of the page that opened it for tens of milliseconds.
FIRST_WINDOW = 32


class StreamStalled(Exception):
    """The stream did not deliver messages it holds: the read is failed rather than cut short."""


@dataclass(frozen=True, slots=True)
class Item:
    """One event as the feed sends it: its stream sequence, CloudEvents type and JSON body."""

    sequence: int
    type: str
    body: dict[str, Any]


@dataclass
class Feed:
    """What one client reads: a subject (every context, or one), from a position, as one principal."""

    js: JetStreamContext
    stream: str
    subject: str
    principal: Principal

    async def end(self) -> int:
        """The sequence of the last message on the feed's subject now (0 when there is none): a bounded
        read up to it reaches it exactly."""
        try:
            return int((await self.js.get_last_msg(self.stream, self.subject)).seq or 0)
        except NotFoundError:  # nothing on this subject yet
            return 0

    async def last(self, count: int, *, end: int) -> list[Item]:
        """The last ``count`` events visible to the principal up to sequence ``end``, oldest first."""
        found: list[Item] = []
        upper, window = end, max(FIRST_WINDOW, count * 2)
        while len(found) < count and upper >= 1:
            lower = max(1, upper - window + 1)
            found = [item async for item in self.items(lower, until=upper)] + found
            upper, window = lower - 1, window * 2
        return found[-count:] if count else []

    async def items(self, start: int, *, until: int | None) -> AsyncIterator[Item]:
        """Visible events from sequence ``start``: up to ``until``, or for ever when it is None."""
        async for msg in self._messages(start, until=until):
            item = self._item(msg)
            if item is not None:
                yield item

    def _item(self, msg: Msg) -> Item | None:
        try:
            event, envelope = decode(msg.subject, msg.headers, msg.data)
        except MalformedEvent:
            return None  # a dead letter or a foreign message: not an event to show
        if not visible(self.principal, envelope):
            return None
        sequence = msg.metadata.sequence.stream
        body = {
            "id": envelope.id, "type": envelope.type, "subject": envelope.subject, "source": envelope.source,
            "time": envelope.time.isoformat().replace("+00:00", "Z"), "actor": envelope.actor, "team": envelope.team,
            "correlation_id": envelope.correlation_id, "sequence": sequence, "data": event.redacted(),
        }  # fmt: skip
        return Item(sequence=sequence, type=envelope.type, body=body)

    async def _messages(self, start: int, *, until: int | None) -> AsyncIterator[Msg]:
        if until is not None and start > until:
            return
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=max(1, start), ack_policy=AckPolicy.NONE,
            inactive_threshold=60.0, mem_storage=True, num_replicas=1,
        )  # fmt: skip
        subscription = await self.js.pull_subscribe(self.subject, stream=self.stream, config=config)
        name = None
        try:
            name = (await subscription.consumer_info()).name
            idle = 0
            while True:
                wait = FOLLOW_WAIT_S if until is None else CATCH_UP_WAIT_S
                try:
                    messages = await subscription.fetch(BATCH, timeout=wait)
                except (TimeoutError, NatsTimeoutError):
                    idle += 1
                    if until is not None and idle >= CATCH_UP_TRIES:
                        raise StreamStalled(
                            f"the stream delivered nothing for {idle * wait:g}s before sequence {until}"
                        ) from None
                    continue
                idle = 0
                for msg in messages:
                    sequence = msg.metadata.sequence.stream
                    if until is not None and sequence > until:
                        return
                    yield msg
                    if until is not None and sequence >= until:
                        return
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
            if name is not None:
                with contextlib.suppress(Exception):
                    await self.js.delete_consumer(self.stream, name)
