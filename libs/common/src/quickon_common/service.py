"""The runtime every QuickOn service shares: one process, one FastStream broker, one ASGI app.

A service declares its migrations (which make its tables), its consumers (:meth:`Service.handles`)
and its queries (:meth:`Service.answers`); :meth:`Service.run` serves ``/healthz``, ``/readyz`` and
``/metrics`` at once and brings the bus up in the background, retrying with backoff while
NATS or the database is away, so that ``/readyz`` can say what it is waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from pydantic_core import to_json
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from .blobs import BlobCorrupt, BlobMissing, Blobs, by_reference, referenced_digest
from .bus import ensure_stream, make_broker
from .consumer import Consumer, Handler, Handling, describe
from .contracts import Event
from .contracts.common import Ask
from .contracts.queries import Query, QueryReply, QueryRequest
from .contracts.queries.info import ConsumerInfo, Info, info_of
from .db import Database
from .files import OWNER_ONLY_UMASK, owner_only_directory
from .inbox import prune_older_than_the_stream
from .leases import Leadership
from .logs import configure_logging
from .migrations import Migrations, migrate
from .outbox import Outbox
from .queries import QueryError, parse
from .relay import OutboxRelay
from .settings import Settings, load_settings
from .tasks import cancel_and_wait

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Req = TypeVar("Req", bound=QueryRequest)
Rep = TypeVar("Rep", bound=QueryReply)
Answer = Callable[[Req], Awaitable[Rep]]

STOP_FLUSH_S = 5.0
KEEP_ALIVE_S = 75  # longer than the idle timeout of the proxies and clients in front (see run)
# What /readyz says, for Prometheus (its reasons stay in /readyz: free text is no label).
READY = Gauge("quickon_ready", "1 when every readiness check of the service passes", ["service"])
CHECK_OK = Gauge(
    "quickon_check_ok", "1 when this readiness check passes, 0 when /readyz gives a reason", ["service", "check"]
)
VERSION = version("quickon-common")


class Service:
    """One QuickOn service process."""

    def __init__(self, name: str, *, migrations: Migrations, settings: Settings | None = None) -> None:
        self.name = name
        self.settings = settings or load_settings(name)
        self._owns_process = False  # set by run(): the process is this service's alone
        self.db = Database(self.settings.effective_database_url, sqlite_synchronous=self.settings.sqlite_synchronous)
        self.migrations = migrations
        self.relay = OutboxRelay(
            self.db,
            service=name,
            batch_size=self.settings.relay_batch_size,
            poll_s=self.settings.relay_poll_s,
            ack_timeout_s=self.settings.relay_ack_timeout_s,
            restore_stream=self._restore_stream,
        )
        self.outbox = Outbox(self.db, source=name, published=self.relay.published)
        self.outbox.on_commit(self.relay.wake)
        self.broker = make_broker(
            self.settings,
            on_error=self._on_nats_error,
            on_disconnect=self._on_disconnect,
            on_reconnect=self._on_reconnect,
        )
        self.consumers: list[Consumer[Any]] = []
        self.queries: list[str] = []
        self.workers: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.preparations: list[Callable[[], Awaitable[None]]] = []
        # Each check is None when fine, else the reason shown by /readyz.
        self.checks: dict[str, str | None] = {"database": "not checked yet", "nats": "not connected yet"}
        # Who may read /readyz's reasons and /metrics; None: every caller (a service on a private port). The
        # gateway, public, answers them only on its internal port or to admins.
        self.shows_details: Callable[[Request], Awaitable[bool]] | None = None
        # More pages for Prometheus beside /metrics, by path (the sim runtime's exporters and its service
        # discovery): each speaks for something other than this process, so each is a target of its own.
        self.metrics_pages: dict[str, Callable[[Request], Awaitable[Response]]] = {}
        self._js: JetStreamContext | None = None
        self._blobs: Blobs | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._nats_errors = 0
        # Which replica this is, as the component view shows it and as it owns sagas and leases: a pod's host
        # name is its own; the suffix tells apart replicas in one process (a test's).
        self.instance = self.settings.instance or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"
        # One replica of the service leads and runs the periodic jobs (see periodically).
        self.leadership = Leadership(self.db, service=name, holder=self.instance, ttl_s=self.settings.lease_s)
        self.periodically(self.settings.inbox_prune_every_s, self._prune_inbox, what="inbox pruning")
        self.answers(info_of(name), every_replica=True)(self._info)

    async def _prune_inbox(self) -> None:
        await prune_older_than_the_stream(self.db, retention_s=self.settings.stream_max_age_s)

    # -- declaring what the service does ----------------------------------------------------

    def handles(
        self,
        contract: type[E],
        *,
        name: str | None = None,
        subject: str | None = None,
        only: tuple[type[Event], ...] = (),
    ) -> Callable[[Handler[E]], Handler[E]]:
        """Register ``handler`` as a durable consumer of ``contract`` (exactly-once effects).

        ``subject`` (wildcards allowed, e.g. ``qc.deploy.>``) follows every event there instead of
        the contract's own subject; the handler gets those that are instances of ``contract`` (a base
        class such as ``OperationEvent``), the others are skipped. ``only`` narrows it further to the
        events that are also instances of one of these (``(Success, Failure)``: outcomes only); the
        others are skipped without a transaction.
        """

        def register(handler: Handler[E]) -> Handler[E]:
            consumer = Consumer(
                service=self.name,
                name=name or handler.__name__,
                contract=contract,
                handler=handler,
                outbox=self.outbox,
                max_tries=self.settings.consumer_max_tries,
                backoff_s=self.settings.consumer_backoff_s,
                subject_filter=subject,
                only=only,
            )
            self.consumers.append(consumer)
            return handler

        return register

    def accepts(self, asks: dict[type[Ask], Handler[Any]], *, name: str) -> None:
        """Accept each of ``asks`` (another saga's, see :class:`~.contracts.common.Ask`) as the request it
        stands for, with that request's own handler, in one durable consumer called ``name``.

        The asks share their asker's subject prefix (``qc.backup.restore.…_asked``), which only the asker's
        credential may publish on, and an event's type must match its subject: what this consumer hears
        there is the asker's. Other events on that prefix (the asker's own progress) are skipped.
        """
        prefixes = {ask.subject.rsplit(".", 1)[0] for ask in asks}
        if len(prefixes) != 1:
            raise ValueError(f"asks accepted by one consumer share one subject prefix, not {sorted(prefixes)}")

        async def accept(event: Ask, handling: Handling[Ask]) -> None:
            if (handler := asks.get(type(event))) is not None:
                await handler(event, handling)

        self.handles(Ask, subject=f"{prefixes.pop()}.>", name=name)(accept)

    def answers(
        self, contract: Query[Req, Rep], *, every_replica: bool = False
    ) -> Callable[[Answer[Req, Rep]], Answer[Req, Rep]]:
        """Answer ``contract``'s requests (``qc.query.<service>.<name>``); one replica of the service replies
        (``every_replica``: each does, for a reader that gathers them).

        The function gets the request parsed as the contract's request model (a body that does not fit it
        is refused with 422 naming the field) and returns the reply model, sent with the fields it was
        given. A :class:`QueryError` it raises is the reply ``{"error": {"status", "detail", …}}``;
        anything else is a 500. A request or reply too large for a message travels by reference
        (:mod:`.blobs`), as :func:`.queries.request` sends and reads it.
        """
        if contract.service != self.name:
            raise ValueError(f"the {self.name} service cannot answer {contract.subject}")

        def register(function: Answer[Req, Rep]) -> Answer[Req, Rep]:
            async def on_request(body: Any) -> bytes:
                try:
                    if (digest := referenced_digest(body)) is not None:
                        body = json.loads(await self.blobs.get(digest))
                    # An empty body (``nats req … ""``) asks with every default.
                    reply = (await function(parse(contract.request, body or {}))).to_json()
                except QueryError as error:
                    reply = to_json(error.reply())
                except (BlobMissing, BlobCorrupt) as error:
                    reply = to_json(QueryError(422, f"the request could not be read: {error}; send it again").reply())
                except Exception:
                    log.exception("query %s failed", contract.name)
                    # The error's own text may hold SQL and its parameters: it stays in this service's log.
                    failed = QueryError(500, f"the {self.name} service failed on {contract.name}; it is in its log")
                    reply = to_json(failed.reply())
                return await by_reference(self.blobs, reply)

            self.broker.subscriber(contract.subject, queue="" if every_replica else self.name)(on_request)
            self.queries.append(contract.name)
            return function

        return register

    def prepares(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run ``step()`` once the database is migrated, before the bus is up (seed data a service needs
        even while NATS is away); it is retried with the database until it succeeds."""
        self.preparations.append(step)

    def serves_metrics(self, path: str, page: Callable[[Request], Awaitable[Response]]) -> None:
        """Serve ``page(request)`` (for Prometheus) at ``path`` of the HTTP side, shown to whom ``/metrics`` is."""
        if not path.startswith("/") or path in ("/metrics", "/healthz", "/readyz"):
            raise ValueError(f"{path!r} cannot be a metrics page")
        self.metrics_pages[path] = page

    def runs(self, worker: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``worker()`` once the database and the bus are up, until the service stops."""
        self.workers.append(worker)

    def periodically(
        self, every_s: float, job: Callable[[], Awaitable[object]], *, what: str, at_once: bool = True
    ) -> None:
        """Run ``job()`` every ``every_s`` on the replica that leads the service (one at a time, whatever
        the number of replicas), once the database and the bus are up: at once, or (``at_once=False``) a
        period after the service started."""

        async def on_the_leader() -> None:
            await self.leadership.every(every_s, job, what=what, at_once=at_once)

        on_the_leader.__name__ = what.replace(" ", "-")
        self.workers.append(on_the_leader)

    @property
    def blobs(self) -> Blobs:
        """Large query bodies, by reference (the object store is opened on first use)."""
        if self._blobs is None:
            self._blobs = Blobs(self.js)
        return self._blobs

    @property
    def js(self) -> JetStreamContext:
        """The JetStream context, once connected."""
        if self._js is None:
            raise RuntimeError("not connected to NATS yet")
        return self._js

    @property
    def nats(self) -> NatsClient | None:
        """The NATS connection once the bus is up (it may be reconnecting), else None."""
        return self.broker.connection if self._js is not None else None

    def all_checks(self) -> dict[str, str | None]:
        """Every check by name: None when fine, else the reason."""
        return {
            **self.checks,
            "outbox_relay": self.relay.last_error,
            **{f"consumer {c.durable}": c.last_error for c in self.consumers},
        }

    @property
    def ready(self) -> bool:
        """Whether every check passes."""
        return all(reason is None for reason in self.all_checks().values())

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Bring the database and the bus up in the background; return at once."""
        self._tasks.append(asyncio.create_task(self._bring_up(), name=f"{self.name}-bring-up"))

    async def stop(self) -> None:
        """Stop consuming, publish what the outbox still holds (briefly), close connections."""
        self._stopping = True
        await cancel_and_wait(self._tasks)
        self._tasks.clear()
        if self._js is not None:  # publish what was committed last, while the connection is up
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.relay.drain(self._js), STOP_FLUSH_S)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.relay.forget_published(), STOP_FLUSH_S)
        with contextlib.suppress(Exception):
            await self.broker.stop()
        await self.db.dispose()

    async def _bring_up(self) -> None:
        await self._retrying("database", self._prepare_database)
        await self._retrying("nats", self._connect)
        self._tasks.append(asyncio.create_task(self.relay.run(self.js), name=f"{self.name}-relay"))
        self._tasks.append(asyncio.create_task(self.leadership.run(), name=f"{self.name}-leadership"))
        for consumer in self.consumers:
            run = consumer.run(
                self.js,
                stream=self.settings.stream_name,
                batch_size=self.settings.consumer_batch_size,
                ack_wait_s=self.settings.consumer_ack_wait_s,
                restore_stream=self._restore_stream,
            )
            self._tasks.append(asyncio.create_task(run, name=consumer.durable))
        for worker in self.workers:
            self._tasks.append(asyncio.create_task(worker(), name=getattr(worker, "__name__", "worker")))
        if self._owns_process:
            # What start-up made (modules, models, the app) lives as long as the process: keep it out of
            # the collector's full passes, which otherwise walk it all and stall requests for tens of ms.
            # Only in a process of its own: where services start and stop by the hundred (a test run),
            # freezing would make every stopped one immortal.
            gc.collect()
            gc.freeze()
        log.info("ready", extra={"consumers": [c.durable for c in self.consumers]})

    async def _prepare_database(self) -> None:
        await migrate(self.db, self.migrations)
        for step in self.preparations:
            await step()

    async def _connect(self) -> None:
        await self.broker.connect()
        self._js = self.broker.connection.jetstream()
        await ensure_stream(self._js, self.settings)
        await self.broker.start()

    async def _restore_stream(self) -> None:
        await ensure_stream(self.js, self.settings)

    async def _retrying(self, check: str, step: Callable[[], Awaitable[None]]) -> None:
        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0
            self.checks[check] = f"waiting for {check} (try {state.attempt_number}, next in {wait:.1f}s): {error}"
            log.warning(self.checks[check])

        async for attempt in AsyncRetrying(
            wait=wait_exponential(multiplier=0.5, max=10),
            retry=retry_if_exception_type(Exception),
            before_sleep=before_sleep,
        ):
            with attempt:
                await step()
        self.checks[check] = None

    async def _on_nats_error(self, error: Exception) -> None:
        self._nats_errors += 1
        reason = f"{type(error).__name__}: {error}".rstrip(": ")
        if self._js is None:
            self.checks["nats"] = f"cannot reach NATS at {self.settings.nats_url} (try {self._nats_errors}): {reason}"
        if self._nats_errors & (self._nats_errors - 1) == 0:  # tries 1, 2, 4, 8...: say it, not flood it
            log.warning("NATS at %s: %s (failure %d)", self.settings.nats_url, reason, self._nats_errors)

    async def _on_disconnect(self) -> None:
        if self._stopping:
            return
        self.checks["nats"] = f"disconnected from {self.settings.nats_url}, reconnecting"
        log.warning(self.checks["nats"])

    async def _on_reconnect(self) -> None:
        self.checks["nats"] = None
        self._nats_errors = 0
        log.info("reconnected to NATS")

    # -- what the service tells ------------------------------------------------------------

    async def readiness(self) -> dict[str, Any]:
        """Every check with its reason, the relay's state and the outbox backlog."""
        checks = self.all_checks()
        backlog: int | None = None
        if checks["database"] is None:
            try:
                backlog = await self.relay.backlog()
            except Exception as error:
                checks["database"] = f"unreachable: {error}"
        return {
            "service": self.name,
            "ready": all(reason is None for reason in checks.values()),
            "checks": {name: reason or "ok" for name, reason in checks.items()},
            "outbox_backlog": backlog,
        }

    async def _info(self, _request: QueryRequest) -> Info:
        failing = {name: reason for name, reason in self.all_checks().items() if reason is not None}
        return Info(
            ready=not failing,
            failing=failing,
            service=self.name,
            instance=self.instance,
            version=VERSION,
            consumers=[ConsumerInfo.model_validate(describe(c)) for c in self.consumers],
            queries=self.queries,
            outbox_backlog=await self.relay.backlog(),
            leads=self.leadership.leads,
        )

    def asgi(self, app: FastAPI | None = None) -> FastAPI:
        """The HTTP side: health, readiness and metrics, on ``app`` or a new FastAPI app."""

        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        # FastAPI's own telemetry would trace every probe (a span every few seconds per watcher, nothing else
        # is served here); a service's traces start from its messages.
        app = app or FastAPI(title=f"quickon-{self.name}", version=VERSION, telemetry={"tracing": False})
        app.router.lifespan_context = lifespan

        @app.get("/healthz", include_in_schema=False)
        async def healthz() -> dict[str, str | int | bool]:
            # Which replica answers, and whether it leads its service (runs the periodic jobs).
            leads = self.leadership.leads
            return {"status": "ok", "service": self.name, "pid": os.getpid(), "instance": self.instance, "leads": leads}

        @app.get("/readyz", include_in_schema=False)
        async def readyz(request: Request) -> JSONResponse:
            body = await self.readiness()
            status = 200 if body["ready"] else 503
            if self.shows_details is not None and not await self.shows_details(request):
                return JSONResponse({"ready": body["ready"]}, status_code=status)  # the reasons name internals
            return JSONResponse(body, status_code=status)

        @app.get("/metrics", include_in_schema=False)
        async def metrics(request: Request) -> Response:
            if self.shows_details is not None and not await self.shows_details(request):
                raise HTTPException(403, "metrics are served on the service's internal port, or to admins")
            checks = self.all_checks()
            for check, reason in checks.items():
                CHECK_OK.labels(self.name, check).set(reason is None)
            READY.labels(self.name).set(all(reason is None for reason in checks.values()))
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        for path, page in self.metrics_pages.items():
            app.add_api_route(path, self._metrics_page(page), methods=["GET"], include_in_schema=False)
        return app

    def _metrics_page(self, page: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            if self.shows_details is not None and not await self.shows_details(request):
                raise HTTPException(403, "metrics are served on the service's internal port, or to admins")
            return await page(request)

        return serve

    def run(self, app: FastAPI | None = None, *, internal_port: int | None = None) -> None:
        """Serve the service until SIGINT/SIGTERM (``python -m quickon_<name>``); with ``internal_port``, the
        same app listens there too, and ``shows_details`` can tell the two apart by the request's
        ``scope["server"]`` (the socket's own address, which no caller can set)."""
        self._owns_process = True
        # Whatever the service writes under var/ (databases, charts, backups, keys) is its owner's alone.
        os.umask(OWNER_ONLY_UMASK)
        owner_only_directory(self.settings.var_dir)
        configure_logging(self.name, level=self.settings.log_level, json_lines=self.settings.log_json)
        served = self.asgi(app)

        host = self.settings.http_host
        ports = [self.settings.http_port, *([internal_port] if internal_port is not None else [])]
        # An idle keep-alive connection is closed after 75 s, not uvicorn's 5: a client (or a proxy in front,
        # ingress-nginx keeps upstream connections for 60 s) that sends on a connection the server is closing
        # at that moment gets a reset it cannot tell from a failure; the server must be the one that waits longer.
        config = uvicorn.Config(
            served, host=host, port=ports[0], log_config=None, access_log=False, timeout_keep_alive=KEEP_ALIVE_S
        )
        uvicorn.Server(config).run(sockets=[_listening(host, port) for port in ports])


def _listening(host: str, port: int) -> socket.socket:
    """A listening TCP socket made as asyncio makes its own: from getaddrinfo, so its protocol is TCP and
    asyncio sets TCP_NODELAY on every connection it accepts. (uvicorn's ``Config.bind_socket`` leaves the
    protocol 0, which asyncio does not recognise: the connections keep Nagle's algorithm, and a response
    sent as headers then body waits for the client's delayed ACK, halving the gateway's throughput.)"""
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, protocol)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock
