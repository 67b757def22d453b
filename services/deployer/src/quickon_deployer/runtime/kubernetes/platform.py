"""The platform's own components on a real cluster: each service's Deployment ``<release>-<service>`` in the
platform's namespace, read and scaled through its ``scale`` subresource (``kubectl scale deployment``).

A component scaled by hand is overridden by the chart's HorizontalPodAutoscaler or KEDA ScaledObject when
those are on (``autoscaling.enabled``): they own the replicas then.
"""

from __future__ import annotations

import asyncio

from kubernetes import client

from ..base import PLATFORM_COMPONENTS, ComponentNotFound, RuntimeFailure, check_component_scale
from .errors import _Edges


class _Platform(_Edges):
    _apps: client.AppsV1Api
    _platform_namespace: str
    _platform_release: str

    def _deployment_of(self, name: str) -> str:
        return f"{self._platform_release}-{name}"

    async def components(self) -> dict[str, int]:
        found = await asyncio.gather(*(self._desired(name) for name in PLATFORM_COMPONENTS))
        return {
            name: replicas for name, replicas in zip(PLATFORM_COMPONENTS, found, strict=True) if replicas is not None
        }

    async def scale_component(self, name: str, replicas: int) -> int:
        check_component_scale(name, replicas)
        if await self._desired(name) is None:
            raise ComponentNotFound(self._missing(name))
        body = {"spec": {"replicas": replicas}}
        deployment = self._deployment_of(name)
        scale = await self._kube(
            self._apps.patch_namespaced_deployment_scale, deployment, self._platform_namespace, body
        )
        return int(scale.spec.replicas if scale.spec and scale.spec.replicas is not None else replicas)

    async def _desired(self, name: str) -> int | None:
        """The replicas the component's Deployment asks for; None when there is no such Deployment."""
        try:
            scale = await self._kube(
                self._apps.read_namespaced_deployment_scale, self._deployment_of(name), self._platform_namespace
            )
        except RuntimeFailure as failure:
            if "not found" in failure.reason.lower():
                return None
            raise
        return int(scale.spec.replicas or 0) if scale.spec else 0

    def _missing(self, name: str) -> str:
        return (
            f"no Deployment {self._platform_namespace}/{self._deployment_of(name)} of the {name} component; check "
            f"QC_PLATFORM_NAMESPACE and QC_PLATFORM_RELEASE (the chart's release name) on the deployer"
        )
