"""Metrics (monitor service): a named series of the services you may see, read from Prometheus over a time
range, and the list of those series.

A service's series are for the members of the team that owns its namespace (any role), as the service's
other reads are; the nodes' and platform components' series, and raw PromQL, for platform admins. The
monitor writes the PromQL of a named series itself, with the namespace and the service in its label
matchers, and checks the caller again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from quickon_common.contracts.queries.metrics import (
    MAX_SINCE_S,
    METRICS,
    SERIES,
    Metrics,
    MetricsRequest,
    SeriesInfo,
    request_problem,
)

from ..auth import CurrentUser
from ..deps import GatewayParts
from ..problems import Problem
from ..teams.access import NamespaceChoice, check, namespace_for
from .params import DNS_LABEL, SERVICE_NAME_MAX

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])
# The monitor tries Prometheus up to three times, each within its query timeout (10 s by default).
METRICS_TIMEOUT_S = 35.0


class SeriesCatalog(BaseModel):
    series: list[SeriesInfo]


@router.get("/series", response_model=SeriesCatalog, summary="The named series you may ask for, with their units")
async def list_series(user: CurrentUser) -> SeriesCatalog:
    return SeriesCatalog(series=[s for s in SERIES.values() if user.is_admin or s.scope == "service"])


SeriesName = Annotated[str | None, Query(max_length=64, description="one of GET /api/v1/metrics/series")]
Expr = Annotated[str | None, Query(min_length=1, max_length=4000, description="raw PromQL (platform admins)")]
ServiceChoice = Annotated[
    str | None,
    Query(
        pattern=DNS_LABEL, max_length=SERVICE_NAME_MAX,
        description="a service's series: that service's, per pod; none: each service's of the namespace",
    ),
]  # fmt: skip
Since = Annotated[int, Query(ge=0, le=MAX_SINCE_S, description="seconds back from now; 0: the value now")]
Step = Annotated[int | None, Query(ge=1, le=MAX_SINCE_S, description="seconds between points; none: ~300 points")]


@router.get(
    "/query", response_model=Metrics,
    summary="A named series over time (a service's: its team; the platform's and raw PromQL: platform admins)",
)  # fmt: skip
async def query_metrics(
    parts: GatewayParts, user: CurrentUser, series: SeriesName = None, expr: Expr = None,
    service: ServiceChoice = None, namespace: NamespaceChoice = None, since: Since = 3600, step: Step = None,
) -> Metrics:  # fmt: skip
    if problem := request_problem(series=series, expr=expr, service=service, since_s=since, step_s=step):
        field, message = problem
        raise Problem(422, f"{field}: {message}", errors=[{"field": f"query.{field}", "message": message}])
    info = SERIES[series] if series is not None else None
    chosen = None
    if info is not None and info.scope == "service":
        teams = await parts.directory.teams()
        chosen = namespace_for(user, teams, namespace)
        what = f"service {service!r} in namespace {chosen!r}" if service else f"namespace {chosen!r}"
        check(user, "viewer", teams.owners.get(chosen), teams, what)
    elif not user.is_admin:
        what = f"series {series}" if series else "raw PromQL (expr)"
        raise Problem(403, f"{what} reads the whole platform's metrics, so only platform admins may ask; your "
                           "services' series are listed at GET /api/v1/metrics/series")  # fmt: skip
    body = MetricsRequest(series=series, expr=expr, namespace=chosen, service=service, since_s=since, step_s=step,
                          caller=user.caller())  # fmt: skip
    return await parts.reads.ask(METRICS, body, timeout_s=METRICS_TIMEOUT_S)
