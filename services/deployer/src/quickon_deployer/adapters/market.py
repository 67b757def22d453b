"""The market, asked over NATS request/reply: which chart a service runs, and whether its values fit."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from quickon_common.contracts.queries import Query, QueryReply, QueryRequest
from quickon_common.contracts.queries.market import CHART, ChartRequest
from quickon_common.files import write_atomically
from quickon_common.queries import QueryError, ask

from ..runtime.base import RuntimeFailure

Req = TypeVar("Req", bound=QueryRequest)
Rep = TypeVar("Rep", bound=QueryReply)


class MarketRefused(RuntimeFailure):
    """The market answered with an error (unknown app, bad values): final, not worth a retry. An error
    it marks ``retryable`` (its catalog still loading) is a retryable :class:`RuntimeFailure` instead."""


@dataclass(frozen=True)
class ChartVersion:
    """A resolved version of an app and where its packaged chart is cached."""

    app: str
    repository: str
    version: str
    digest: str
    path: Path
    defaults: dict[str, Any]
    secret_paths: list[str]
    problems: list[str]  # what is wrong with the values it was asked with, each naming the field


class Market:
    """Queries to the market service; charts cached on disk by digest."""

    def __init__(self, connection: NatsClient, *, cache_dir: Path, timeout_s: float) -> None:
        self._nats = connection
        self._cache_dir = cache_dir
        self._timeout_s = timeout_s

    async def ask(self, query: Query[Req, Rep], body: Req) -> Rep:
        """The market's answer; :class:`MarketRefused` for its errors, a retryable failure when it is away."""
        try:
            return await ask(self._nats, query, body, timeout_s=self._timeout_s)
        except (TimeoutError, NoRespondersError, NatsTimeoutError):
            raise RuntimeFailure("the market service does not answer; is it running?", retryable=True) from None
        except QueryError as error:
            if error.extra.get("retryable"):  # the market cannot say yet (its catalog is loading): ask again later
                raise RuntimeFailure(error.detail, retryable=True) from None
            raise MarketRefused(error.detail) from None

    async def chart(
        self, app: str, *, version: str | None, repository: str | None, values: dict[str, Any] | None = None
    ) -> ChartVersion:
        """The chart of ``app`` at ``version`` (the newest when None), verified against its digest. With
        ``values``, the market also checks them against the version's schema (``ChartVersion.problems``).

        The package crosses the bus only when it is not cached here yet: mostly one small round trip.
        """
        answer = await self.ask(
            CHART, ChartRequest(app=app, version=version, repository=repository, values=values, package=False)
        )
        path = await self.package(app, repository=answer.repository, version=answer.version, digest=answer.digest)
        return ChartVersion(
            app=app,
            repository=answer.repository,
            version=answer.version,
            digest=answer.digest,
            path=path,
            defaults=answer.values or {},
            secret_paths=list(answer.secret_paths),
            problems=[f"{problem.path}: {problem.message}" for problem in answer.errors or []],
        )

    async def package(self, app: str, *, repository: str, version: str, digest: str) -> Path:
        """The cached package of a pinned chart: no question when it is cached, else fetched once and checked
        against ``digest`` (:class:`MarketRefused` when the repository now serves other bytes)."""
        path = self._cache_dir / f"{digest}.tgz"
        if path.exists():
            return path
        packaged = await self.ask(CHART, ChartRequest(app=app, repository=repository, version=version, package=True))
        data = base64.b64decode(packaged.chart or "")
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:  # the repository changed the package since it was checked, or a bad pin
            raise MarketRefused(
                f"{repository}/{app} {version} is not the chart that was checked: its package's digest is "
                f"{actual}, not {digest}"
            )
        await asyncio.to_thread(write_atomically, path, data)
        return path
