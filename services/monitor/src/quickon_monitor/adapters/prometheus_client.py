"""Prometheus's HTTP API: instant queries (``/api/v1/query``), with retries at this edge only.

A query Prometheus refuses (bad PromQL: ``bad_data``) is :class:`QueryRejected` and is not retried: it will
not get better. Prometheus unreachable, or answering 5xx, is retried briefly then :class:`PrometheusUnavailable`,
whose message is the monitor's readiness reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

# httpx logs every request at INFO: a line per rule per round, drowning what the monitor says itself.
logging.getLogger("httpx").setLevel(logging.WARNING)


class PrometheusUnavailable(Exception):
    """Prometheus cannot be reached or failed; the message says where and why."""


class QueryRejected(Exception):
    """Prometheus refused the query itself (its error says why: a PromQL parse error, say)."""


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and value."""

    labels: dict[str, str]
    value: float


class PrometheusClient:
    """Asks one Prometheus; one HTTP connection pool shared by every query of a round."""

    def __init__(self, url: str, *, timeout_s: float, tries: int = 3, pool: int = 64) -> None:
        self.url = url.rstrip("/")
        self.tries = tries
        limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout_s, limits=limits)

    async def close(self) -> None:
        await self._http.aclose()

    async def query(self, promql: str) -> list[Sample]:
        """The instant vector ``promql`` gives now (a scalar is one sample with no labels)."""
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.tries),
            wait=wait_exponential(multiplier=0.1, max=1),
            retry=retry_if_exception_type(PrometheusUnavailable),
            reraise=True,
        ):
            with attempt:
                return self._samples(await self._ask(promql))
        raise AssertionError("unreachable")  # AsyncRetrying re-raises the last error

    async def check(self, promql: str) -> None:
        """Raise :class:`QueryRejected` when Prometheus cannot parse ``promql`` (its ``format_query`` parses
        without running anything)."""
        await self._ask(promql, path="/api/v1/format_query")

    async def _ask(self, promql: str, *, path: str = "/api/v1/query") -> dict[str, Any]:
        try:
            response = await self._http.post(path, data={"query": promql})
        except httpx.HTTPError as error:
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} is unreachable: {type(error).__name__}: {error}"
            ) from None
        if response.status_code >= 500:
            raise PrometheusUnavailable(f"Prometheus at {self.url} answered {response.status_code}")
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise PrometheusUnavailable(
                f"{self.url} answered {response.status_code} with no JSON: is it Prometheus?"
            ) from None
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
