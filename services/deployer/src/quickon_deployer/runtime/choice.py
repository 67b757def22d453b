"""The runtime ``QC_RUNTIME`` names, built at start: the simulated cluster (its state on disk under ``var``)
or Kubernetes (its kubeconfig read), or, when that fails, one that explains itself on every call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from quickon_common.service import Service

from ..settings import DeployerSettings
from .base import Runtime, RuntimeFailure
from .simulated import SimRuntime
from .unavailable import UnavailableRuntime

log = logging.getLogger(__name__)
RUNTIME_CHECK_S = 10.0


def create_runtime(service: Service, settings: DeployerSettings) -> Runtime:
    """The runtime ``QC_RUNTIME`` names; one that explains itself on every call when it cannot be built."""
    try:
        if settings.runtime == "sim":
            return SimRuntime.from_settings(
                service.settings.var_dir.resolve() / "deployer" / "sim", nodes=settings.sim_nodes,
                cpu=settings.sim_node_cpu, memory=settings.sim_node_memory, disk=settings.sim_node_disk,
                delay_scale=settings.sim_delay_scale, disk_scan_s=settings.sim_disk_scan_s, shared=settings.sim_shared,
            )  # fmt: skip
        from .kubernetes import KubernetesRuntime  # imported only when used: it loads the kubernetes client

        return KubernetesRuntime.create(
            kubeconfig=settings.kubeconfig,
            context=settings.kube_context,
            helm_timeout_s=settings.helm_timeout_s,
            platform_namespace=service.settings.platform_namespace,
            platform_release=settings.platform_release,
        )
    except RuntimeFailure as failure:
        log.error("runtime %s unavailable: %s", settings.runtime, failure.reason)
        return UnavailableRuntime(settings.runtime, failure.reason)


async def watch_runtime(runtime: Runtime, report: Callable[[str | None], None]) -> None:
    """Check the runtime every few seconds and report why it is unusable, or None (its readiness check)."""
    while True:
        report(await runtime.check())
        await asyncio.sleep(RUNTIME_CHECK_S)
