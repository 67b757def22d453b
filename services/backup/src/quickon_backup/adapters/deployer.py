"""What the backup service asks the deployer and the market, over NATS request/reply (it never reads
their databases)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import TypeVar

from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from quickon_common.contracts.queries import Caller, Query, QueryReply, QueryRequest
from quickon_common.contracts.queries.deployer import BACKUP_SOURCE, SERVICE, BackupSource, ServiceRequest
from quickon_common.contracts.queries.market import CHART, PUBLISH, Chart, ChartRequest, Published, PublishRequest
from quickon_common.queries import QueryError, answer, encode, request

from ..jobs import StepFailed, TryLater

MIN_REQUEST_S = 0.5  # the last try's own time to answer, however little of the query's time is left
Req = TypeVar("Req", bound=QueryRequest)
Rep = TypeVar("Rep", bound=QueryReply)


class NoSuchService(StepFailed):
    """The deployer knows no service of that name (the market: no such chart version)."""


class Peer:
    """Another service's queries, asked with the patience a job's step has."""

    name = "service"

    def __init__(self, connection: Callable[[], NatsClient | None], *, timeout_s: float) -> None:
        self._connection = connection
        self._timeout_s = timeout_s

    async def ask(self, query: Query[Req, Rep], body: Req) -> Rep:
        """The answer; :class:`NoSuchService` on 404, :class:`StepFailed` for another refusal (or an answer
        outside the contract), and :class:`TryLater` while the deployer (or NATS) does not answer."""
        nc = self._connection()
        if nc is None:
            raise TryLater("not connected to NATS yet")
        try:
            reply = await self._request(nc, query.subject, encode(body))
        except (TimeoutError, NoRespondersError, NatsTimeoutError):
            raise TryLater(f"the {self.name} does not answer; is it running?") from None
        try:
            return answer(query, reply)
        except QueryError as error:
            if error.status == 404:
                raise NoSuchService(error.detail) from None
            raise StepFailed(f"the {self.name} refused: {error.detail}") from None

    async def _request(self, nc: NatsClient, subject: str, data: bytes) -> bytes:
        """The reply, within the query's time. No responder means nobody is listening at this moment (a
        service restarting after a crash has none for a few seconds): asked again until the time is up,
        rather than failing the backup (and the upgrade waiting for it) at once."""
        deadline = time.monotonic() + self._timeout_s
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(NoRespondersError),
            stop=stop_after_delay(self._timeout_s),
            wait=wait_exponential(multiplier=0.25, max=2.0),
            reraise=True,
        ):
            with attempt:
                return await request(nc, subject, data, timeout_s=max(deadline - time.monotonic(), MIN_REQUEST_S))
        raise AssertionError("tenacity returned without a result")  # pragma: no cover


class Deployer(Peer):
    """The deployer's queries a backup or restore needs."""

    name = "deployer"

    async def source(self, *, namespace: str, service: str) -> BackupSource:
        """The release, its rendered objects and its volumes (``qc.query.deployer.backup_source``)."""
        return await self.ask(BACKUP_SOURCE, ServiceRequest(namespace=namespace, service=service))

    async def exists(self, *, namespace: str, service: str) -> bool:
        try:
            await self.ask(SERVICE, ServiceRequest(namespace=namespace, service=service, caller=Caller.platform()))
        except NoSuchService:
            return False
        return True


class Market(Peer):
    """The market's queries an export or an import needs: a version's chart package, publishing one."""

    name = "market"

    async def chart(self, *, app: str, version: str, repository: str | None, package: bool) -> Chart:
        """One version's chart (with its package when ``package``); :class:`NoSuchService` when it has none."""
        return await self.ask(CHART, ChartRequest(app=app, version=version, repository=repository, package=package))

    async def publish(self, package: bytes) -> Published:
        """Publish ``package`` to the market's local repository."""
        answer = await self.ask(PUBLISH, PublishRequest(chart=base64.b64encode(package).decode()))
        return answer.published
