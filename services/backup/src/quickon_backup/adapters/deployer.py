"""What the backup service asks the deployer, over NATS request/reply (it never reads its database)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from quickon_common.queries import request

from ..jobs import StepFailed, TryLater

MIN_REQUEST_S = 0.5  # the last try's own time to answer, however little of the query's time is left


class NoSuchService(StepFailed):
    """The deployer knows no service of that name."""


class Deployer:
    """The deployer's queries a backup or restore needs."""

    def __init__(self, connection: Callable[[], NatsClient | None], *, timeout_s: float) -> None:
        self._connection = connection
        self._timeout_s = timeout_s

    async def ask(self, query: str, **body: Any) -> dict[str, Any]:
        """The answer; :class:`NoSuchService` on 404, :class:`StepFailed` for another refusal, and
        :class:`TryLater` while the deployer (or NATS) does not answer."""
        nc = self._connection()
        if nc is None:
            raise TryLater("not connected to NATS yet")
        try:
            reply = await self._request(nc, f"qc.query.deployer.{query}", json.dumps(body).encode())
        except (TimeoutError, NoRespondersError, NatsTimeoutError):
            raise TryLater("the deployer does not answer; is it running?") from None
        answer: dict[str, Any] = json.loads(reply)
        if "error" in answer:
            error = answer["error"]
            detail = str(error.get("detail", error))
            raise NoSuchService(detail) if error.get("status") == 404 else StepFailed(f"the deployer refused: {detail}")
        return answer

    async def _request(self, nc: NatsClient, subject: str, data: bytes) -> bytes:
        """The reply, within the query's time. No responder means no deployer is listening at this
        moment (one restarting after a crash has none for a few seconds): asked again until the time
        is up, rather than failing the backup (and the upgrade waiting for it) at once."""
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

    async def source(self, *, namespace: str, service: str) -> dict[str, Any]:
        """The release, its rendered objects and its volumes (``qc.query.deployer.backup_source``)."""
        return await self.ask("backup_source", namespace=namespace, service=service)

    async def exists(self, *, namespace: str, service: str) -> bool:
        try:
            await self.ask("service", namespace=namespace, service=service)
        except NoSuchService:
            return False
        return True
