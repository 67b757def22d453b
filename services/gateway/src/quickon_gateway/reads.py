"""Reads go to the owning service over NATS request/reply; when it does not answer, a 503 says why.

Each read is a query (``qc.query.<service>.<name>``) answered from the owner's own database, asked and
read by its contract (:mod:`quickon_common.contracts.queries`): an answer outside it is a 502. A
refusal in the reply (``{"error": {"status", "detail", …}}``) becomes the same status here; one the owner
marks ``retryable`` (the market still loading its catalog after a start) is asked again until the read's
deadline, so a caller meets it only as a 503 with ``Retry-After`` when it lasts longer.

The catalog is the exception to asking every time: it is read far more often than it changes, so
its answers (the reply's bytes, passed through unparsed) are kept for ``cache_s`` seconds, and all
dropped at once when any market event passes on the bus (a sync, a publish, a removal) — every
gateway replica hears those on a plain subscription of its own. A replica that lost NATS drops
them too, since it could have missed one. While the market is down (NATS up), a cached answer is
still served until it is ``cache_s`` old; then reads fail with 503 like the others.

The dashboard's overview (:meth:`Reads.recent`) is kept the same way, for ``recent_s`` seconds, and dropped
when any deploy event passes: every console that opens asks for it first, and at once, and the deployer counts
every service to answer it. It is kept by the whole request, whose ``caller`` (teams, admin flag) is all the
answer depends on, so one caller's answer is only ever served to callers who may see exactly the same.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, TypeVar

from fastapi import Response
from nats.aio.subscription import Subscription
from nats.errors import ConnectionClosedError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from quickon_common.contracts.queries import Query, QueryReply, QueryRequest
from quickon_common.queries import QueryError, answer, encode, request
from quickon_common.service import Service

from .flights import SingleFlight
from .limits import Bounded
from .problems import Problem

CATALOG_EVENTS = "qc.market.>"
DEPLOY_EVENTS = "qc.deploy.>"
RECENT_ENTRIES = 256  # one per set of teams asking: bounded (the oldest go first)
RETRY_FIRST_S = 0.1  # the pause before asking again after a retryable refusal, doubled each time
RETRY_MAX_S = 1.0
RETRY_AFTER_S = 2  # what a client is told to wait when the read's own time ran out
CATALOG_ENTRIES = 1024  # answers kept: keyed by the caller's search, so bounded (the oldest go first)
Req = TypeVar("Req", bound=QueryRequest)
Rep = TypeVar("Rep", bound=QueryReply)


class Reads:
    """Ask a service a question, with a deadline; catalog answers are cached (see the module's docstring)."""

    def __init__(self, service: Service, *, timeout_s: float, cache_s: float, recent_s: float = 0) -> None:
        self.service = service
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        self.recent_s = recent_s
        self._catalog: Bounded[str, tuple[float, bytes]] = Bounded(CATALOG_ENTRIES)
        self._recent: Bounded[str, tuple[float, bytes]] = Bounded(RECENT_ENTRIES)
        self._subscription: Subscription | None = None
        self._deploy_subscription: Subscription | None = None
        self._deploy_events = 0  # deploy events heard: an answer asked for before one is not kept after it
        self._reconnects = 0
        self._loading: SingleFlight[bytes] = SingleFlight()

    async def ask(self, query: Query[Req, Rep], body: Req, *, timeout_s: float | None = None) -> Rep:
        """The owner's answer, or a :class:`Problem` with the owner's refusal or why nobody answered.

        ``timeout_s`` replaces the usual deadline for a query known to take longer (a chart upload)."""
        data = await self._request(query, body, timeout_s or self.timeout_s)
        try:
            return answer(query, data)
        except QueryError as error:  # refusals were raised by _request: this answer breaks the contract
            raise _problem(error) from None

    async def every(self, query: Query[Req, Rep], body: Req, *, timeout_s: float, settle_s: float) -> list[Rep]:
        """The answers of every replica that answers ``query`` (one it asks of all, see ``Service.answers``):
        those that came within ``settle_s`` of the first, which is awaited up to ``timeout_s``. Empty when
        none answered; an answer outside the contract is left out (its replica is then not shown)."""
        connection = self.service.nats
        if connection is None or not connection.is_connected:
            return []
        replies: list[bytes] = []
        first = asyncio.Event()

        async def arrived(message: Any) -> None:
            replies.append(message.data)
            first.set()

        inbox = connection.new_inbox()
        subscription = await connection.subscribe(inbox, cb=arrived)
        try:
            await connection.publish(query.subject, encode(body), reply=inbox)
            try:
                await asyncio.wait_for(first.wait(), timeout_s)
            except TimeoutError:
                return []
            await asyncio.sleep(settle_s)
        finally:
            await subscription.unsubscribe()
        found = []
        for data in replies:
            try:
                found.append(answer(query, data))
            except QueryError:
                continue
        return found

    async def catalog(self, query: Query[Req, Any], body: Req) -> Response:
        """A market catalog query's answer as a JSON response, from the cache when it is fresh; passed on
        unparsed (the busiest read), the route's response model documenting it."""
        key = f"{query.name} {body.model_dump_json()}"
        now = time.monotonic()
        self._forget_after_reconnect()
        kept = self._catalog.get(key)
        if kept is None or kept[0] < now or self._subscription is None:
            data = await self._loading.run(key, lambda: self._request(query, body, self.timeout_s))
            if self._subscription is not None:  # only while market events can reach us
                self._catalog[key] = (now + self.cache_s, data)
        else:
            data = kept[1]
        return Response(data, media_type="application/json")

    async def recent(self, query: Query[Req, Rep], body: Req) -> Rep:
        """The deployer's answer to ``query`` for ``body``, up to ``recent_s`` seconds old and no older than the
        last deploy event (see the module's docstring); asked for once by concurrent callers."""
        key = f"{query.name} {body.model_dump_json()}"
        now = time.monotonic()
        self._forget_after_reconnect()
        kept = self._recent.get(key)
        if kept is None or kept[0] < now or self._deploy_subscription is None:
            heard = self._deploy_events
            data = await self._loading.run(f"recent {key}", lambda: self._request(query, body, self.timeout_s))
            # Kept only while deploy events reach us, and none passed while it was asked for (it may predate it).
            if self._deploy_subscription is not None and self.recent_s > 0 and heard == self._deploy_events:
                self._recent[key] = (now + self.recent_s, data)
        else:
            data = kept[1]
        try:
            return answer(query, data)
        except QueryError as error:
            raise _problem(error) from None

    def _forget_after_reconnect(self) -> None:
        """A replica that lost NATS could have missed an event that changed what it keeps: it drops it all."""
        connection = self.service.nats
        if connection is not None and connection.stats["reconnects"] != self._reconnects:
            self._reconnects = connection.stats["reconnects"]
            self._catalog.clear()
            self._recent.clear()

    async def follow_catalog(self) -> None:
        """Drop cached catalog answers whenever the market says something, and the kept overviews whenever the
        deployer does; the service runs this once it is connected, and the subscriptions live as long as the
        connection."""
        connection = self.service.nats
        if connection is None:
            return

        async def catalog_changed(_msg: Any) -> None:
            self._catalog.clear()

        async def deployment_changed(_msg: Any) -> None:
            self._deploy_events += 1
            self._recent.clear()

        if self.cache_s > 0:
            self._subscription = await connection.subscribe(CATALOG_EVENTS, cb=catalog_changed)
        if self.recent_s > 0:
            self._deploy_subscription = await connection.subscribe(DEPLOY_EVENTS, cb=deployment_changed)

    async def _request(self, query: Query[Req, Any], body: Req, timeout_s: float) -> bytes:
        """The owner's answer; a refusal it marks ``retryable`` (the market loading its catalog) is asked
        again, a little later each time, until ``timeout_s`` is spent; then it is the 503 it said."""
        deadline = time.monotonic() + timeout_s
        pause = RETRY_FIRST_S
        while True:
            try:
                return await self._request_once(query, body, max(0.1, deadline - time.monotonic()))
            except Problem as problem:
                left = deadline - time.monotonic()
                if not problem.extra.get("retryable") or left <= pause:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX_S)

    async def _request_once(self, query: Query[Req, Any], body: Req, timeout_s: float) -> bytes:
        connection = self.service.nats
        if connection is None or not connection.is_connected:
            self._catalog.clear()
            self._recent.clear()
            raise Problem(
                503,
                f"the gateway is not connected to NATS at {self.service.settings.nats_url} yet; reads resume by "
                "themselves once it is back: try again shortly",
            )
        owner = query.service
        try:
            reply = await request(connection, query.subject, encode(body), timeout_s=timeout_s)
        except NoRespondersError:
            raise Problem(
                503, f"the {owner} service is not running, so it cannot answer; start it (qc up restarts it) and retry"
            ) from None
        except NatsTimeoutError:
            raise Problem(
                503, f"the {owner} service did not answer within {timeout_s:g}s; it may be overloaded: retry"
            ) from None
        except ConnectionClosedError:
            raise Problem(503, "the connection to NATS closed during the read; retry") from None
        if reply.startswith(b'{"error"'):  # a refusal: only those begin so (answers are plain objects)
            try:
                answer(query, reply)
            except QueryError as error:
                raise _problem(error) from None
        return reply


def _problem(error: QueryError) -> Problem:
    """A query's refusal as the same HTTP problem; one its service marks retryable says when to retry."""
    headers = {"Retry-After": str(RETRY_AFTER_S)} if error.extra.get("retryable") else None
    return Problem(error.status, error.detail, headers=headers, **error.extra)
