"""What the backup service asks the deployer, over NATS request/reply (it never reads its database)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from quickon_common.queries import request

from ..jobs import StepFailed, TryLater


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
            reply = await request(
                nc, f"qc.query.deployer.{query}", json.dumps(body).encode(), timeout_s=self._timeout_s
            )
        except (TimeoutError, NoRespondersError, NatsTimeoutError):
            raise TryLater("the deployer does not answer; is it running?") from None
        answer: dict[str, Any] = json.loads(reply.data)
        if "error" in answer:
            error = answer["error"]
            detail = str(error.get("detail", error))
            raise NoSuchService(detail) if error.get("status") == 404 else StepFailed(f"the deployer refused: {detail}")
        return answer

    async def source(self, *, namespace: str, service: str) -> dict[str, Any]:
        """The release, its rendered objects and its volumes (``qc.query.deployer.backup_source``)."""
        return await self.ask("backup_source", namespace=namespace, service=service)

    async def exists(self, *, namespace: str, service: str) -> bool:
        try:
            await self.ask("service", namespace=namespace, service=service)
        except NoSuchService:
            return False
        return True
