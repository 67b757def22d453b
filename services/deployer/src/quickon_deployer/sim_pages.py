"""The pages Prometheus reads from the deployer on the sim runtime, beside its own /metrics: the simulated
cluster's exporters, the service discovery of the apps that declare their own metrics, and those apps'
pages (see runtime/sim/apps.py)."""

from __future__ import annotations

import time

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from quickon_common.service import Service

from .runtime.simulated import SimRuntime

CLUSTER_METRICS_PATH = "/sim/metrics"
APP_TARGETS_PATH = "/sim/targets"
APP_METRICS_PATH = "/sim/app-metrics"


def register(service: Service, runtime: SimRuntime) -> None:
    """Serve the sim runtime's pages on the deployer's HTTP side."""

    async def cluster_metrics(_request: Request) -> Response:
        return Response(await runtime.metrics(), media_type=CONTENT_TYPE_LATEST)

    async def app_targets(request: Request) -> Response:
        """Prometheus' HTTP service discovery: one target per app pod, each scraped here, on the address
        Prometheus used to reach this list (its Host header: the deployer as Prometheus sees it)."""
        here = request.headers.get("host") or f"{service.settings.http_host}:{service.settings.http_port}"
        groups = [
            {
                "targets": [here],
                "labels": {
                    "__metrics_path__": APP_METRICS_PATH, "__param_namespace": t.namespace, "__param_pod": t.pod,
                    "instance": f"{t.pod}:{t.port}", "namespace": t.namespace, "pod": t.pod,
                },
            }
            for t in runtime.cluster.app_targets()
        ]  # fmt: skip
        return JSONResponse(groups)

    async def app_metrics(request: Request) -> Response:
        namespace, pod = request.query_params.get("namespace", ""), request.query_params.get("pod", "")
        page = runtime.cluster.app_metrics(namespace=namespace, pod=pod, now=time.time())
        if page is None:
            return Response(f"no app answers in pod {namespace}/{pod}\n", status_code=503, media_type="text/plain")
        return Response(page, media_type=CONTENT_TYPE_LATEST)

    service.serves_metrics(CLUSTER_METRICS_PATH, cluster_metrics)
    service.serves_metrics(APP_TARGETS_PATH, app_targets)
    service.serves_metrics(APP_METRICS_PATH, app_metrics)
