"""Durable consumers: decode, apply exactly once, acknowledge; retry, then dead-letter.

A handler is ``async def name(event, handling) -> None``. It writes its effects and the
events it emits through ``handling.uow``; the inbox claim sits in the same transaction, so
an event delivered twice takes effect once. A handler that raises is retried with backoff
up to the configured number of tries, then its message goes to ``qc.dlq.<service>`` with the
error. A message that is not a valid event, or a :class:`DeadLetter` raised by the handler,
goes there at once: trying again cannot help.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from prometheus_client import Counter, Histogram

from . import inbox
from .bus import dead_letter
from .contracts import Event
from .envelope import Envelope, MalformedEvent, decode
from .logs import event_context
from .outbox import Outbox, UnitOfWork

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)

HANDLED = Counter("quickon_events_handled_total", "Events by consumer and outcome", ["consumer", "outcome"])
HANDLE_SECONDS = Histogram("quickon_event_handle_seconds", "Time to apply one event", ["consumer"])


class DeadLetter(Exception):
    """Raised by a handler for an event it can never apply; it is dead-lettered at once."""


@dataclass(frozen=True, slots=True)
class Handling(Generic[E]):
    """What a handler gets beside the event: its envelope, the unit of work, the try number."""

    envelope: Envelope
    uow: UnitOfWork
    delivery: int


Handler = Callable[[E, Handling[E]], Awaitable[None]]


class _AlreadyApplied(Exception):
    """Leaves the unit of work without committing anything."""


@dataclass
class Consumer(Generic[E]):
    """One durable consumer of one contract, bound to its service's outbox and stream."""

    service: str
    name: str
    contract: type[E]
    handler: Handler[E]
    outbox: Outbox
    max_tries: int
    backoff_s: list[float]

    @property
    def durable(self) -> str:
        """The JetStream durable name: one per service and handler."""
        return f"{self.service}-{self.name}".replace(".", "_")

    async def process(self, msg: Msg, js: JetStreamContext) -> str:
        """Handle one delivery and settle it with the server; returns the outcome for metrics."""
        delivery = msg.metadata.num_delivered or 1
        try:
            event, envelope = decode(msg.subject, msg.headers, msg.data)
            if not isinstance(event, self.contract):  # another version of the contract on this subject
                raise MalformedEvent(f"{envelope.type} is not {self.contract.ce_type()}, which this consumer reads")
        except MalformedEvent as error:
            return await self._give_up(msg, js, f"malformed event: {error}", delivery)
        with event_context(event_id=envelope.id, correlation_id=envelope.correlation_id, consumer=self.durable):
            started = time.perf_counter()
            try:
                outcome = await self._apply(event, envelope, delivery)
            except DeadLetter as error:
                return await self._give_up(msg, js, f"refused: {error}", delivery)
            except Exception as error:
                reason = f"{type(error).__name__}: {error}"
                if delivery >= self.max_tries:
                    log.exception("giving up after %d tries", delivery)
                    return await self._give_up(msg, js, reason, delivery)
                delay = self.backoff_s[min(delivery, len(self.backoff_s)) - 1] if self.backoff_s else 0
                log.warning("try %d of %d failed, again in %.1fs: %s", delivery, self.max_tries, delay, reason)
                await msg.nak(delay=delay)
                HANDLED.labels(self.durable, "retried").inc()
                return "retried"
            HANDLE_SECONDS.labels(self.durable).observe(time.perf_counter() - started)
        await msg.ack()
        HANDLED.labels(self.durable, outcome).inc()
        return outcome

    async def _apply(self, event: E, envelope: Envelope, delivery: int) -> str:
        try:
            async with self.outbox.begin(cause=envelope) as uow:
                if not await inbox.claim(uow.session, consumer=self.durable, event_id=envelope.id):
                    raise _AlreadyApplied
                await self.handler(event, Handling(envelope=envelope, uow=uow, delivery=delivery))
        except _AlreadyApplied:
            log.info("already applied, acknowledging the repeat")
            return "duplicate"
        return "applied"

    async def _give_up(self, msg: Msg, js: JetStreamContext, reason: str, tries: int) -> str:
        await dead_letter(js, msg, service=self.service, consumer=self.durable, reason=reason, tries=tries)
        await msg.ack()  # only once the dead letter is stored: a crash in between redelivers
        log.error("dead-lettered: %s", reason, extra={"stream_sequence": msg.metadata.sequence.stream})
        HANDLED.labels(self.durable, "dead_lettered").inc()
        return "dead_lettered"


def describe(consumer: Consumer[Any]) -> dict[str, Any]:
    """A consumer as shown by ``/readyz`` and the service's info query."""
    return {"durable": consumer.durable, "subject": consumer.contract.subject, "type": consumer.contract.ce_type()}
