"""Prometheus's HTTP API: instant queries (``/api/v1/query``) for the rules, and series over a range
(``/api/v1/query_range``) for the metrics query, with retries at this edge only.

A query Prometheus refuses (bad PromQL: ``bad_data``; one that ran out of its time) is :class:`QueryRejected`
and is not retried: it will not get better. Prometheus unreachable, or answering 5xx, is retried briefly then
:class:`PrometheusUnavailable`, whose message is the monitor's readiness reason.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

# httpx logs every request at INFO: a line per rule per round, drowning what the monitor says itself.
logging.getLogger("httpx").setLevel(logging.WARNING)
T = TypeVar("T")


class PrometheusUnavailable(Exception):
    """Prometheus cannot be reached or failed; the message says where and why."""


class QueryRejected(Exception):
    """Prometheus refused the query itself (its error says why: a PromQL parse error, say)."""


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and value."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    """One series over time: its labels and its [unix time, value] points (None where the value is NaN or
    infinite, which JSON cannot carry)."""

    labels: dict[str, str]
    points: list[tuple[float, float | None]]


class PrometheusClient:
    """Asks one Prometheus; one HTTP connection pool shared by every query of a round."""

    def __init__(self, url: str, *, timeout_s: float, tries: int = 3, pool: int = 64) -> None:
        self.url = url.rstrip("/")
        self.tries = tries
        self.timeout_s = timeout_s
        limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout_s, limits=limits)

    async def close(self) -> None:
        await self._http.aclose()

    async def query(self, promql: str) -> list[Sample]:
        """The instant vector ``promql`` gives now (a scalar is one sample with no labels)."""
        return await self._retried(lambda: self._ask(promql), self._samples)

    async def series(
        self, promql: str, *, end: float, start: float | None = None, step_s: int | None = None
    ) -> list[Series]:
        """What ``promql`` gives from ``start`` to ``end`` every ``step_s`` seconds, or at ``end`` alone when
        ``step_s`` is None. Prometheus is told to give up before this client does (``timeout``), so a query too
        heavy for it is its refusal, not Prometheus taken for unreachable."""
        params = (
            {"time": f"{end:.3f}"}
            if step_s is None
            else {"start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step_s}s"}
        )
        params["timeout"] = f"{max(1.0, self.timeout_s - 1):g}s"
        path = "/api/v1/query" if step_s is None else "/api/v1/query_range"
        return await self._retried(lambda: self._ask(promql, path=path, **params), self._series)

    async def _retried(self, ask: Callable[[], Awaitable[dict[str, Any]]], read: Callable[[dict[str, Any]], T]) -> T:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.tries),
            wait=wait_exponential(multiplier=0.1, max=1),
            retry=retry_if_exception_type(PrometheusUnavailable),
            reraise=True,
        ):
            with attempt:
                return read(await ask())
        raise AssertionError("unreachable")  # AsyncRetrying re-raises the last error

    async def check(self, promql: str) -> None:
        """Raise :class:`QueryRejected` when Prometheus cannot parse ``promql`` (its ``format_query`` parses
        without running anything)."""
        await self._ask(promql, path="/api/v1/format_query")

    async def _ask(self, promql: str, *, path: str = "/api/v1/query", **params: str) -> dict[str, Any]:
        try:
            response = await self._http.post(path, data={"query": promql, **params})
        except httpx.HTTPError as error:
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} is unreachable: {type(error).__name__}: {error}"
            ) from None
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            body = {}
        timed_out = body.get("errorType") == "timeout"  # its own time ran out: the query is too heavy
        if response.status_code >= 500 and not timed_out:
            raise PrometheusUnavailable(f"Prometheus at {self.url} answered {response.status_code}")
        if not body:
            raise PrometheusUnavailable(f"{self.url} answered {response.status_code} with no JSON: is it Prometheus?")
        if body.get("status") != "success":
            raise QueryRejected(f"{body.get('errorType', 'error')}: {body.get('error', 'no reason given')}")
        data = body.get("data", {})
        return data if isinstance(data, dict) else {"formatted": data}

    @staticmethod
    def _samples(data: dict[str, Any]) -> list[Sample]:
        kind, result = data.get("resultType"), data.get("result")
        if kind == "vector":
            return [Sample(labels=dict(item.get("metric", {})), value=float(item["value"][1])) for item in result or []]
        if kind == "scalar" and result:
            return [Sample(labels={}, value=float(result[1]))]
        if kind == "matrix":
            raise QueryRejected("the query gives a range vector; a rule needs an instant vector (drop the [range])")
        return []

    @staticmethod
    def _series(data: dict[str, Any]) -> list[Series]:
        kind, result = data.get("resultType"), data.get("result")
        if kind == "matrix":
            return [
                Series(dict(item.get("metric", {})), [_point(p) for p in item.get("values", [])])
                for item in result or []
            ]
        if kind == "vector":
            return [Series(dict(item.get("metric", {})), [_point(item["value"])]) for item in result or []]
        if kind == "scalar" and result:
            return [Series({}, [_point(result)])]
        raise QueryRejected(f"the query gives a {kind}; ask for a number per series (an instant or range vector)")


def _point(pair: list[Any]) -> tuple[float, float | None]:
    value = float(pair[1])
    return float(pair[0]), value if math.isfinite(value) else None
