"""Durable consumers: decode, apply exactly once, acknowledge; retry, then dead-letter.

A handler is ``async def name(event, handling) -> None``. A consumer follows its contract's
subject, or a subject filter with wildcards (``qc.deploy.>``): then every event there is decoded
by the registry, those of the contract (a base class such as ``OperationEvent`` will do) are
handled and the others are acknowledged and skipped. It writes its effects and the
events it emits through ``handling.uow``; the inbox claim sits in the same transaction, so
an event delivered twice takes effect once. A handler that raises is retried with backoff
up to the configured number of tries, then its message goes to ``qc.dlq.<service>`` with the
error. A message that is not a valid event, or a :class:`DeadLetter` raised by the handler,
goes there at once: trying again cannot help. When the database itself fails (unreachable,
locked, disk full) nothing is dead-lettered: the events wait in the stream until it is back.

Each consumer is a pull loop of its own: it fetches what is waiting (up to a batch) and
applies it in stream order in one transaction (group commit: one commit instead of one per
message). FastStream's pull subscriber is not used here because it runs a fetched batch as
concurrent tasks, which reorders a service's events, and its batch mode holds a lone message
until the batch timeout; tracing still follows the ``traceparent`` header. If any handler in the group raises, the
whole transaction is rolled back and each message is applied again in a transaction of its
own, so one bad message never holds back or undoes the others. A consumer with a backlog
takes bigger groups: after a full fetch the next asks for twice as many, up to ``MAX_GROUP``,
since every group pays the same transaction (begin, claim, commit) however many it holds; a
fetch that is not full, or a group that failed, brings it back to the configured batch size. Delivery is at least once
and a failed group runs its handlers again: an effect outside the database (a call to the
cluster, say) must be safe to repeat, which is why handlers record work and sagas do it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError
from opentelemetry import propagate, trace
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from . import inbox
from .bus import dead_letter, recreate_stream, stream_missing
from .contracts import Event
from .envelope import Envelope, MalformedEvent, decode
from .logs import event_context
from .outbox import Outbox, UnitOfWork
from .telemetry import continued, recording

log = logging.getLogger(__name__)
tracer = trace.get_tracer("quickon.consumer")

E = TypeVar("E", bound=Event)

HANDLED = Counter("quickon_events_handled_total", "Events by consumer and outcome", ["consumer", "outcome"])
HANDLE_SECONDS = Histogram("quickon_event_handle_seconds", "Time to apply one event", ["consumer"])
GROUP_SIZE = Histogram(
    "quickon_event_group_size",
    "Events applied in one transaction",
    ["consumer"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
PENDING = Gauge(
    "quickon_consumer_pending",
    "Events in the stream this consumer has not been delivered yet (its lag), as of its last fetch",
    ["consumer"],
)
# The largest group a backlog grows to. Beyond it the transaction's fixed cost is already
# small against the group's; larger would only make a failed group longer to apply again.
MAX_GROUP = 500


# The database itself failing (gone, locked, disk full): retried without limit, never
# dead-lettered, because the event is not at fault.
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError)
MAX_INFRASTRUCTURE_WAIT_S = 5.0


class DeadLetter(Exception):
    """Raised by a handler for an event it can never apply; it is dead-lettered at once."""


@dataclass(frozen=True, slots=True)
class Handling(Generic[E]):
    """What a handler gets beside the event: its envelope, the unit of work, the try number."""

    envelope: Envelope
    uow: UnitOfWork
    delivery: int


Handler = Callable[[E, Handling[E]], Awaitable[None]]


@dataclass
class _Delivery(Generic[E]):
    msg: Msg
    event: E
    envelope: Envelope
    number: int


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
    # A subject with wildcards to follow instead of the contract's own (every event of a context).
    subject_filter: str | None = None
    # When given, the only events the handler acts on (each also an instance of ``contract``): the others
    # are acknowledged and skipped as events of another contract are, with no transaction. A follower of a
    # busy filter that wants a few of its events (a service waiting for outcomes among every step and
    # request of a context) then does not queue each of the others on its database's write lock.
    only: tuple[type[Event], ...] = ()
    last_error: str | None = field(default=None, init=False)
    # Prometheus children by outcome: looking a label set up costs more than counting, per event.
    _handled: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def _handle_seconds(self) -> Any:
        return HANDLE_SECONDS.labels(self.durable)

    def _count(self, outcome: str) -> None:
        counter = self._handled.get(outcome)
        if counter is None:
            counter = self._handled[outcome] = HANDLED.labels(self.durable, outcome)
        counter.inc()

    @property
    def subject(self) -> str:
        """The NATS subject (filter) this consumer follows."""
        return self.subject_filter or self.contract.subject

    @property
    def durable(self) -> str:
        """The JetStream durable name: one per service and handler."""
        return f"{self.service}-{self.name}".replace(".", "_")

    async def run(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        batch_size: int,
        ack_wait_s: float,
        restore_stream: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Fetch and apply until cancelled; NATS trouble is logged and retried, never raised.

        When the stream has gone (deleted by hand, taking this durable with it), ``restore_stream``
        creates it again and the durable is made anew; it reads what the outboxes publish from then on.

        The next fetch goes out as soon as a group is in hand, so NATS delivers it while this group
        waits on the database (most of a group's time is spent there, with the event loop idle).
        Groups are still applied one after the other, in stream order; a fetched group waits for at
        most one group before it, a small share of ``ack_wait_s`` for handlers that record work.
        """
        largest = max(batch_size, MAX_GROUP)
        # Room for a group in hand and the next one fetched ahead, at their largest.
        config = ConsumerConfig(ack_wait=ack_wait_s, max_ack_pending=max(1000, batch_size * 10, largest * 2))
        group_size = batch_size
        subscription: JetStreamContext.PullSubscription | None = None
        ahead: _Pull | None = None  # the next pull, under way while a group is applied
        in_hand: list[Msg] = []  # what the pull awaited brought, then the group being applied
        retry_wait = 0.1
        failed_on_nats = False
        try:
            while True:
                try:
                    if subscription is None:
                        subscription = await js.pull_subscribe(self.subject, self.durable, stream=stream, config=config)
                    pulling, ahead = ahead or _Pull.start(subscription, group_size), None
                    in_hand = pulling.received
                    messages = await pulling.task
                    if not messages:
                        # Idle: is the durable still there? A pull from one that is gone only waits.
                        info = await js.consumer_info(stream, self.durable)
                        PENDING.labels(self.durable).set(info.num_pending or 0)
                        if failed_on_nats:  # it is back; a database error stays until a group is applied
                            self.last_error, failed_on_nats, retry_wait = None, False, 0.1
                        continue
                    PENDING.labels(self.durable).set(_pending(messages[-1]))
                    # A full fetch says more is waiting: ask for a bigger group next.
                    group_size = min(group_size * 2, largest) if len(messages) >= group_size else batch_size
                    ahead = _Pull.start(subscription, group_size)
                    outcomes = await self.process(messages, js)
                    in_hand = []
                    if not _all_settled(outcomes):  # applied one at a time: the next group after it starts small
                        group_size = batch_size
                    if "deferred" not in outcomes:
                        self.last_error = None
                    retry_wait, failed_on_nats = 0.1, False
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # NATS away or the consumer gone: wait, then subscribe again
                    if ahead is not None:
                        await ahead.give_up()
                    await _hand_back(in_hand)
                    ahead, in_hand = None, []
                    if isinstance(error, NotFoundError):
                        if subscription is not None:
                            with contextlib.suppress(Exception):
                                await subscription.unsubscribe()
                        subscription = None
                        if restore_stream is not None and stream_missing(error):
                            await recreate_stream(restore_stream, by=f"consumer {self.durable}")
                    self.last_error, failed_on_nats = f"{type(error).__name__}: {error}", True
                    log.warning("consumer %s: %s; again in %.1fs", self.durable, self.last_error, retry_wait)
                    await asyncio.sleep(retry_wait)
                    retry_wait = min(retry_wait * 2, 5.0)
        finally:
            if ahead is not None:
                await ahead.give_up()
            # Unsubscribe: the server drops the pull requests of this inbox still waiting (else they would take
            # events for up to PULL_WAIT_S), and the connection's drain has nothing of them to wait for.
            if subscription is not None:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()
            # Stopped (the service stopping, or NATS away): what this replica was sent and did not settle goes
            # back now, to another replica or to this one when it is back, rather than after ack_wait. Nothing
            # is lost either way, but an operation waiting on one of these events would stall for ack_wait.
            await _hand_back([*in_hand, *_left_in(subscription)])

    async def process(self, messages: list[Msg], js: JetStreamContext) -> list[str]:
        """Apply one fetch's messages as a group, in stream order, and settle each with the server."""
        outcomes: dict[int, str] = {}
        group: list[_Delivery[E]] = []
        positions = {id(msg): _position(msg) for msg in messages}
        for msg in sorted(messages, key=lambda m: positions[id(m)][0]):
            number = positions[id(msg)][1] or 1
            try:
                event, envelope = decode(msg.subject, msg.headers, msg.data)
                if not isinstance(event, self.contract) and self.subject_filter is None:
                    # another version of the contract on this subject
                    raise MalformedEvent(f"{envelope.type} is not {self.contract.ce_type()}, which this consumer reads")
            except MalformedEvent as error:
                outcomes[id(msg)] = await self._give_up(msg, js, f"malformed event: {error}", number)
                continue
            if not isinstance(event, self.contract) or (self.only and not isinstance(event, self.only)):
                # following a filter: an event this consumer does not read
                await msg.ack()
                self._count("skipped")
                outcomes[id(msg)] = "skipped"
                continue
            group.append(_Delivery(msg, event, envelope, number))
        if group:
            GROUP_SIZE.labels(self.durable).observe(len(group))
            results: list[str | BaseException]
            try:
                results = list(await self._apply(group))
            except Exception:
                results = []
                for delivery in group:  # one at a time, each in its own transaction
                    try:
                        results.extend(await self._apply([delivery]))
                    except Exception as error:
                        results.append(error)
            for delivery, result in zip(group, results, strict=True):
                outcomes[id(delivery.msg)] = await self._settle(delivery, result, js)
        return [outcomes[id(msg)] for msg in messages]

    async def _apply(self, group: list[_Delivery[E]]) -> list[str]:
        outcomes = []
        async with self.outbox.transaction() as session:
            unclaimed = await inbox.claim(session, consumer=self.durable, event_ids=[d.envelope.id for d in group])
            for delivery in group:
                first_time = delivery.envelope.id in unclaimed
                unclaimed.discard(delivery.envelope.id)  # the same event twice in one group: once
                outcomes.append(await self._apply_one(session, delivery, first_time=first_time))
        return outcomes

    async def _apply_one(self, session: AsyncSession, delivery: _Delivery[E], *, first_time: bool) -> str:
        envelope = delivery.envelope
        with event_context(event_id=envelope.id, correlation_id=envelope.correlation_id, consumer=self.durable):
            if not first_time:
                log.info("already applied, acknowledging the repeat")
                return "duplicate"
            started = time.perf_counter()
            uow = self.outbox.unit(session, cause=envelope)
            with self._span(delivery):
                await self.handler(delivery.event, Handling(envelope=envelope, uow=uow, delivery=delivery.number))
            self._handle_seconds.observe(time.perf_counter() - started)
            return "applied"

    def _span(self, delivery: _Delivery[E]) -> AbstractContextManager[object]:
        """The span of handling one event, child of the one that sent it. When spans go nowhere (no
        exporter) the sender's trace is only made current: the events the handler emits still carry it,
        and making a span that nobody records cost a fifth of a message's time."""
        envelope = delivery.envelope
        if not recording():
            return continued(dict(envelope.trace))
        return tracer.start_as_current_span(
            f"{delivery.msg.subject} process",
            context=propagate.extract(dict(envelope.trace)),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": delivery.msg.subject,
                "messaging.message.id": envelope.id,
                "messaging.consumer.group.name": self.durable,
            },
        )

    async def _settle(self, delivery: _Delivery[E], outcome: str | BaseException, js: JetStreamContext) -> str:
        msg, number = delivery.msg, delivery.number
        if isinstance(outcome, str):  # applied or a repeat: nothing to log, so no log context to set up
            await msg.ack()
            self._count(outcome)
            return outcome
        with event_context(event_id=delivery.envelope.id, consumer=self.durable):
            if isinstance(outcome, DeadLetter):
                return await self._give_up(msg, js, f"refused: {outcome}", number)
            reason = f"{type(outcome).__name__}: {outcome}"
            if isinstance(outcome, INFRASTRUCTURE_ERRORS):
                # The database is away or full: no fault of the event, so it waits, however long.
                self.last_error = f"database unavailable, events wait: {reason}"
                delay = min(MAX_INFRASTRUCTURE_WAIT_S, self.backoff_s[-1] if self.backoff_s else 1.0)
                log.warning("cannot apply now, again in %.1fs: %s", delay, reason)
                await msg.nak(delay=delay)
                self._count("deferred")
                return "deferred"
            if number >= self.max_tries:
                log.error("giving up after %d tries: %s", number, reason, exc_info=outcome)
                return await self._give_up(msg, js, reason, number)
            delay = self.backoff_s[min(number, len(self.backoff_s)) - 1] if self.backoff_s else 0
            log.warning("try %d of %d failed, again in %.1fs: %s", number, self.max_tries, delay, reason)
            await msg.nak(delay=delay)
            self._count("retried")
            return "retried"

    async def _give_up(self, msg: Msg, js: JetStreamContext, reason: str, tries: int) -> str:
        await dead_letter(js, msg, service=self.service, consumer=self.durable, reason=reason, tries=tries)
        await msg.ack()  # only once the dead letter is stored: a crash in between redelivers
        log.error("dead-lettered: %s", reason, extra={"stream_sequence": msg.metadata.sequence.stream})
        self._count("dead_lettered")
        return "dead_lettered"


_V1_TOKENS = 9  # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>


def _position(msg: Msg) -> tuple[int, int]:
    """A JetStream message's stream sequence and delivery count, read from its ack subject.

    nats-py's ``msg.metadata`` parses every field into frozen dataclasses and a datetime: on a
    busy consumer that was a seventh of the time spent applying a group. Both layouts are read:
    the short one above and the one with domain and account hash, at nats-py's ``Msg.Ack`` positions.
    """
    tokens = (msg.reply or "").split(".")
    if len(tokens) == _V1_TOKENS:
        return int(tokens[5]), int(tokens[4])
    return int(tokens[Msg.Ack.StreamSeq]), int(tokens[Msg.Ack.NumDelivered])


def _pending(msg: Msg) -> int:
    """How many messages the consumer had still to be delivered when ``msg`` was (the ack subject's last count)."""
    tokens = (msg.reply or "").split(".")
    index = 8 if len(tokens) == _V1_TOKENS else Msg.Ack.NumPending
    try:
        return int(tokens[index])
    except (IndexError, ValueError):
        return 0


def _all_settled(outcomes: list[str]) -> bool:
    """Whether a group went through as a whole (nothing retried, deferred or dead-lettered)."""
    return all(outcome in ("applied", "duplicate", "skipped") for outcome in outcomes)


# How long an idle pull waits at the server for a first event; then it ends and the consumer asks whether its
# durable is still there (a pull from one that is gone only waits).
PULL_WAIT_S = 5.0
# An idle pull gives the server's last sending this much more before it ends.
PULL_GRACE_S = 1.0


@dataclass
class _Pull:
    """One pull of events under way. What the server sent it is in ``received`` (the consumer's, not the task's),
    so that a pull cancelled by a stop still leaves it where the stop hands it back."""

    task: asyncio.Task[list[Msg]]
    received: list[Msg]

    @classmethod
    def start(cls, subscription: JetStreamContext.PullSubscription, size: int) -> _Pull:
        received: list[Msg] = []
        return cls(asyncio.create_task(_pull(subscription, size, received)), received)

    async def give_up(self) -> None:
        """Cancel it, and hand back at once what it was sent (the server would send it again after ack_wait)."""
        if not self.task.done():
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
        await _hand_back(self.received)


async def _pull(subscription: JetStreamContext.PullSubscription, size: int, received: list[Msg]) -> list[Msg]:
    """Up to ``size`` events into ``received``: those waiting now, else the first to come within PULL_WAIT_S with
    what comes with it; none after that.

    One pull request (``batch``, ``expires``): the server sends what there is, or waits for a first event. What it
    sends after this pull returned (the rest of its batch, until it expires) waits in the pulls' inbox for the
    next pull, or for the stop that hands it back. Status messages (the request's end, a deleted consumer) are
    not waited on: an idle pull ends on its own clock, and the consumer then asks whether its durable is there.
    ``no_wait`` is not asked: with it (the server then ends the request once it has sent what there is), the
    events published after a stream was deleted and created again waited for ack_wait in 4 of 6 runs of
    tests/integration/test_stream_deleted.py, which was not understood further; without it, 10 of 10 passed.

    Not nats-py's ``fetch``, which keeps what it was sent in a list of its own, lost when the fetch is cancelled
    by a stop: the server sent those events again only after ack_wait, and an operation waiting on one stalled
    that long. The pulls' inbox is nats-py's (``_sub``, ``_nms``, ``_deliver`` of the subscription, private).
    """
    inbox = subscription._sub
    _take_queued(inbox, received, size)  # sent to an earlier pull after it ended
    if received:
        return received
    request = {"batch": size, "expires": int(PULL_WAIT_S * 1e9)}
    await subscription._nc.publish(subscription._nms, json.dumps(request).encode(), subscription._deliver)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(PULL_WAIT_S + PULL_GRACE_S):
            while not received:
                msg = await inbox._pending_queue.get()  # cancelled, it takes nothing from the queue
                inbox._pending_size -= len(msg.data)  # nats-py's count of what waits (its slow-consumer limit)
                if JetStreamContext.is_status_msg(msg) is None:
                    received.append(msg)
                    await asyncio.sleep(0)  # what came in the same read as the first is in the queue now
                    _take_queued(inbox, received, size)
    return received


def _take_queued(inbox: Any, into: list[Msg], size: int) -> None:
    """Move the events already in the pulls' inbox into ``into``, up to ``size``; status messages are dropped."""
    queue = inbox._pending_queue
    while len(into) < size and not queue.empty():
        msg = queue.get_nowait()
        inbox._pending_size -= len(msg.data)
        if JetStreamContext.is_status_msg(msg) is None:
            into.append(msg)


def _left_in(subscription: JetStreamContext.PullSubscription | None) -> list[Msg]:
    """What the server sent to pulls that ended before it arrived, which no pull has taken yet."""
    left: list[Msg] = []
    if subscription is not None:
        _take_queued(subscription._sub, left, size=1 << 30)
    return left


async def _hand_back(messages: list[Msg]) -> None:
    """Nak what was neither acknowledged nor handed back yet, so the server sends it again at once."""
    for msg in messages:
        if not msg.is_acked:
            with contextlib.suppress(Exception):
                await msg.nak()


def describe(consumer: Consumer[Any]) -> dict[str, Any]:
    """A consumer as shown by ``/readyz`` and the service's info query."""
    contract = consumer.contract
    kind = contract.ce_type() if consumer.subject_filter is None else f"{contract.__module__}.{contract.__qualname__}"
    return {"durable": consumer.durable, "subject": consumer.subject, "type": kind}
