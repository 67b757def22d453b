"""The metrics query: a named series of the services a caller may see (or, for platform admins, the nodes',
the platform's and raw PromQL), asked of Prometheus over a time range.

The gateway checked the caller's role in the namespace's team; this checks again, from the namespaces the
monitor knows each team owns, before any PromQL is written (:mod:`.series` writes it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from quickon_common.contracts.queries import Caller
from quickon_common.contracts.queries.metrics import (
    MAX_SERIES,
    METRICS,
    SERIES,
    Metrics,
    MetricsRequest,
    SeriesData,
    SeriesInfo,
    default_step,
)
from quickon_common.queries import QueryError, caller_of
from quickon_common.service import Service

from . import series
from .adapters.prometheus_client import PrometheusClient, PrometheusUnavailable, QueryRejected
from .models import TeamNamespaceRecord


def register(service: Service, *, prometheus: PrometheusClient, clock: Callable[[], datetime]) -> None:
    """Answer the metrics query in ``service``."""

    async def may_see(caller: Caller, namespace: str) -> bool:
        """Whether the namespace is one of the caller's teams' (one no team owns: platform admins only)."""
        if caller.is_admin:
            return True
        async with service.db.read_session() as session:
            found = await session.get(TeamNamespaceRecord, namespace)
        return found is not None and found.team in caller.teams

    async def promql(request: MetricsRequest, info: SeriesInfo | None, caller: Caller, window_s: int) -> str:
        """The PromQL to run, once the caller may: raw PromQL and the platform's series are the admins'."""
        if info is None or info.scope == "platform":
            if not caller.is_admin:
                what = "raw PromQL" if info is None else f"series {info.name}"
                raise QueryError(403, f"{what} reads the whole platform's metrics, so only platform admins may ask; "
                                      "a service's series (GET /api/v1/metrics/series) are for its team")  # fmt: skip
            return request.expr or series.platform_promql(info.name if info else "", window_s=window_s)
        if request.namespace is None:
            raise QueryError(422, f"namespace: series {info.name} needs the services' namespace (and service)")
        if not await may_see(caller, request.namespace):
            raise QueryError(403, f"namespace {request.namespace!r} is not one of your teams'; ask a platform "
                                  "admin if it should be (if it was assigned a moment ago, retry)")  # fmt: skip
        return series.service_promql(info.name, namespace=request.namespace, service=request.service,
                                     window_s=window_s)  # fmt: skip

    @service.answers(METRICS)
    async def metrics(request: MetricsRequest) -> Metrics:
        """The series over ``since_s`` seconds up to now, every ``step_s``; its value now when ``since_s`` is 0."""
        caller = caller_of(request)
        step_s = (request.step_s or default_step(request.since_s)) if request.since_s > 0 else None
        info = SERIES[request.series] if request.series is not None else None
        query = await promql(request, info, caller, series.window(step_s))
        now = clock().timestamp()
        end = now if step_s is None else now // step_s * step_s  # on the step: a chart's points stay put
        start = end - request.since_s
        try:
            found = await prometheus.series(query, start=start, end=end, step_s=step_s)
        except QueryRejected as why:
            if info is not None:  # the monitor's own PromQL: not the caller's to fix
                raise QueryError(502, f"Prometheus refused the monitor's query for {info.name} ({why}); it needs "
                                      "Prometheus 2.x") from None  # fmt: skip
            raise QueryError(422, f"expr: Prometheus refused the query: {why}") from None
        except PrometheusUnavailable as why:
            raise QueryError(503, f"{why}; the metrics are read from it: start it (qc up runs one) or point "
                                  "QC_MONITOR_PROMETHEUS_URL at yours, then retry") from None  # fmt: skip
        found.sort(key=lambda s: sorted(s.labels.items()))
        return Metrics(
            series=info.name if info else None, unit=info.unit if info else None, query=query, start=start, end=end,
            step_s=step_s, result=[SeriesData(labels=s.labels, points=s.points) for s in found[:MAX_SERIES]],
            truncated=len(found) > MAX_SERIES,
        )  # fmt: skip
