"""The kubernetes runtime's platform components: the Deployments ``<release>-<service>`` of the platform's
namespace, read and patched through their ``scale`` subresource (a fake AppsV1Api stands for the API server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client import ApiException

from quickon_deployer.runtime.base import ComponentNotFound, RuntimeFailure
from quickon_deployer.runtime.kubernetes import KubernetesRuntime


class FakeApps:
    """The scale subresource of the Deployments it holds; 404 (as the API server answers) for the others."""

    def __init__(self, namespace: str, replicas: dict[str, int]) -> None:
        self.namespace, self.replicas = namespace, replicas
        self.patches: list[tuple[str, str, Any]] = []

    def _scale(self, name: str, namespace: str) -> client.V1Scale:
        if namespace != self.namespace or name not in self.replicas:
            raise ApiException(status=404, reason="Not Found")
        return client.V1Scale(
            metadata=client.V1ObjectMeta(name=name), spec=client.V1ScaleSpec(replicas=self.replicas[name])
        )

    def read_namespaced_deployment_scale(self, name: str, namespace: str, **_: Any) -> client.V1Scale:
        return self._scale(name, namespace)

    def patch_namespaced_deployment_scale(self, name: str, namespace: str, body: Any, **_: Any) -> client.V1Scale:
        self._scale(name, namespace)
        self.patches.append((namespace, name, body))
        self.replicas[name] = body["spec"]["replicas"]
        return self._scale(name, namespace)


def runtime(tmp_path: Path, apps: FakeApps) -> KubernetesRuntime:
    api = client.ApiClient(client.Configuration(host="https://127.0.0.1:9"))  # never reached: _apps is the fake
    found = KubernetesRuntime(
        api=api, helm=None, command=None, workdir=tmp_path, helm_timeout_s=60, platform_namespace="qc-sys",
        platform_release="qc",
    )  # fmt: skip
    found._apps = apps  # type: ignore[assignment]
    return found


async def test_the_components_are_the_platforms_deployments_and_a_scale_patches_one(tmp_path: Path) -> None:
    apps = FakeApps("qc-sys", {"qc-deployer": 2, "qc-gateway": 1, "other-market": 5})
    cluster = runtime(tmp_path, apps)
    assert await cluster.components() == {"deployer": 2, "gateway": 1}  # the others have no Deployment here
    assert await cluster.scale_component("deployer", 3) == 3
    assert apps.patches == [("qc-sys", "qc-deployer", {"spec": {"replicas": 3}})]
    assert (await cluster.components())["deployer"] == 3


async def test_a_missing_deployment_an_unknown_name_or_bad_replicas_are_refused_and_patch_nothing(
    tmp_path: Path,
) -> None:
    apps = FakeApps("qc-sys", {"qc-deployer": 1})
    cluster = runtime(tmp_path, apps)
    with pytest.raises(ComponentNotFound, match="no Deployment qc-sys/qc-backup of the backup component; check"):
        await cluster.scale_component("backup", 2)
    with pytest.raises(ComponentNotFound, match="no platform component 'nginx'"):
        await cluster.scale_component("nginx", 2)
    for replicas in (0, 21):
        with pytest.raises(RuntimeFailure, match="1 to 20 replicas"):
            await cluster.scale_component("deployer", replicas)
    assert apps.patches == [] and apps.replicas == {"qc-deployer": 1}
