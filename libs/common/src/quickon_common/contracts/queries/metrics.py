"""The monitor's metrics query (``qc.query.monitor.metrics``): a series read from Prometheus over a time range,
scoped to what the caller may see.

Callers ask for a named series (:data:`SERIES`) and the monitor writes the PromQL, putting in the service's
namespace and release as label matchers: a team member reads their own services' numbers and nothing else,
whatever they send. The nodes' and the platform components' series are the platform admins', and so is raw
PromQL (``expr``). The bounds keep one request from asking Prometheus for millions of points.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ...names import DNS_LABEL_PATTERN, RELEASE_NAME_MAX
from .base import Caller, QueryReply, QueryRequest, query

MAX_SINCE_S = 7 * 86_400  # how far back a request may reach
MAX_POINTS = 1000  # points per series in one answer
TARGET_POINTS = 300  # what the default step aims at
MIN_DEFAULT_STEP_S = 15  # Prometheus' usual scrape interval: a finer default step repeats samples
MAX_SERIES = 100  # series in one answer (the rest are left out, and the answer says so)
Scope = Literal["service", "platform"]


class SeriesInfo(BaseModel):
    """One named series: what it measures, in which unit, and who may read it."""

    name: str
    unit: str = Field(description="cores, bytes, count, pods, percent, boolean, events")
    scope: Scope = Field(description="service: a team's services (give service or namespace); platform: admins")
    description: str


def _series(name: str, unit: str, scope: Scope, description: str) -> tuple[str, SeriesInfo]:
    return name, SeriesInfo(name=name, unit=unit, scope=scope, description=description)


PER_SERVICE = "; one series per pod with service=, else per service of the namespace"
SERIES: dict[str, SeriesInfo] = dict([
    _series("service_cpu", "cores", "service", "CPU used by the service's containers" + PER_SERVICE),
    _series("service_memory", "bytes", "service", "memory in use (working set) of its containers" + PER_SERVICE),
    _series("service_restarts", "count", "service", "container restarts so far (a counter)" + PER_SERVICE),
    _series("service_ready", "pods", "service", "pods ready (1 or 0 per pod)" + PER_SERVICE),
    _series("node_cpu", "cores", "platform", "CPU used by the containers on each node"),
    _series("node_memory", "bytes", "platform", "memory in use (working set) by the containers on each node"),
    _series("node_disk", "percent", "platform", "disk used, per node and mount point"),
    _series("node_pods", "pods", "platform", "pods on each node that have not finished (pending or running)"),
    _series("component_up", "boolean", "platform", "each QuickOn service's /metrics answering (1) or not (0)"),
    _series("component_lag", "events", "platform", "events not yet delivered to each consumer of each service"),
])  # fmt: skip


def default_step(since_s: int) -> int:
    """The step that gives about :data:`TARGET_POINTS` points over ``since_s``, never under 15 s."""
    return max(MIN_DEFAULT_STEP_S, math.ceil(since_s / TARGET_POINTS))


def request_problem(
    *, series: str | None, expr: str | None, service: str | None, since_s: int, step_s: int | None
) -> tuple[str, str] | None:
    """What is wrong with a request, as (its parameter, what to do), or None: the gateway answers it as a 422
    before asking, and the monitor refuses the same."""
    if (series is None) == (expr is None):
        return "series", "give one of series (GET /api/v1/metrics/series lists them) or expr (raw PromQL)"
    if series is not None and series not in SERIES:
        return "series", f"there is no series {series!r}; the series are {', '.join(SERIES)}"
    if service is not None and (series is None or SERIES[series].scope != "service"):
        return "service", f"{series or 'expr'} is not a service's series: drop service (or ask for a service_… one)"
    if step_s is not None and since_s // step_s > MAX_POINTS:
        least = math.ceil(since_s / MAX_POINTS)
        return "step", f"{since_s}s at a {step_s}s step is over {MAX_POINTS} points a series; use step={least} or more"
    return None


class MetricsRequest(QueryRequest):
    series: str | None = Field(default=None, max_length=64, description="a named series (SERIES)")
    expr: str | None = Field(default=None, min_length=1, max_length=4000, description="raw PromQL: platform admins")
    namespace: str | None = Field(default=None, pattern=DNS_LABEL_PATTERN, max_length=63)
    service: str | None = Field(default=None, pattern=DNS_LABEL_PATTERN, max_length=RELEASE_NAME_MAX)
    since_s: int = Field(default=3600, ge=0, le=MAX_SINCE_S, description="how far back; 0: the value now")
    step_s: int | None = Field(default=None, ge=1, le=MAX_SINCE_S, description="none: about 300 points")
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")

    @model_validator(mode="after")
    def _sensible(self) -> MetricsRequest:
        found = request_problem(
            series=self.series, expr=self.expr, service=self.service, since_s=self.since_s, step_s=self.step_s
        )
        if found is not None:
            raise ValueError(f"{found[0]}: {found[1]}")
        return self


class SeriesData(QueryReply):
    labels: dict[str, str]
    points: list[tuple[float, float | None]] = Field(
        description="[unix time, value] oldest first; null where Prometheus gives NaN or ±Inf"
    )


class Metrics(QueryReply):
    series: str | None = Field(default=None, description="the named series; null for raw PromQL")
    unit: str | None = None
    query: str = Field(description="the PromQL Prometheus ran")
    start: float = Field(description="unix time of the first point asked for")
    end: float = Field(description="unix time of the last (now, rounded down to the step)")
    step_s: int | None = Field(default=None, description="null: an instant query (one point, now)")
    result: list[SeriesData]
    truncated: bool = Field(default=False, description=f"more than {MAX_SERIES} series: the first are given")


METRICS = query("monitor", "metrics", MetricsRequest, Metrics, "A named series (or, for admins, PromQL) over time")
