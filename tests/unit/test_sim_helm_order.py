"""The sim cluster applies a release in Helm's order and refuses what the API server refuses: CRDs of
``crds/`` first (kept forever), custom resources only of served kinds, hooks by weight with their delete
policies, ``helm.sh/resource-policy: keep``, explicit nulls as unset fields."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from quickon_deployer.runtime.sim import FAIL_ANNOTATION, Cluster, HookFailed, ManifestError
from quickon_deployer.runtime.sim.manifests import CRDS_DIR_ANNOTATION

NS = "apps"


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    return Cluster(tmp_path / "volumes")


def crd(*, from_crds_dir: bool, kind: str = "Widget") -> dict[str, Any]:
    annotations = {CRDS_DIR_ANNOTATION: "true"} if from_crds_dir else {}
    plural = f"{kind.lower()}s"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.example.com", "annotations": annotations},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural},
            "versions": [{"name": "v1", "served": True, "storage": True}],
        },
    }


def widget(name: str = "w", kind: str = "Widget") -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": kind, "metadata": {"name": name}, "spec": {"op": "="}}


def config_map(name: str, **annotations: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "annotations": annotations}}


def hook_job(name: str, hook: str, *, weight: int = 0, policy: str | None = None, fail: bool = False) -> dict[str, Any]:
    annotations = {"helm.sh/hook": hook, "helm.sh/hook-weight": str(weight)}
    if policy is not None:
        annotations["helm.sh/hook-delete-policy"] = policy
    pod_annotations = {FAIL_ANNOTATION: "crash-loop"} if fail else {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "template": {
                "metadata": {"annotations": pod_annotations},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "job", "image": "busybox:1.36"}]},
            }
        },
    }


def names(cluster: Cluster, release: str = "r") -> set[str]:
    return {f"{obj.kind}/{obj.name}" for obj in cluster.objects(namespace=NS, release=release)}


def test_a_custom_resource_without_its_crd_is_refused(cluster: Cluster) -> None:
    refusal = "Widget/w: no matches for kind 'Widget' in version 'example.com/v1'"
    with pytest.raises(ManifestError, match=re.escape(refusal)):
        cluster.apply(namespace=NS, release="r", manifests=[config_map("c"), widget()], now=0)
    assert cluster.releases() == []
    # A CRD among the templates comes too late for a resource of the same apply, as in helm ...
    with pytest.raises(ManifestError, match="no matches for kind 'Widget'"):
        cluster.apply(namespace=NS, release="r", manifests=[crd(from_crds_dir=False), widget()], now=0)
    # ... but serves the kind once installed.
    cluster.apply(namespace=NS, release="r", manifests=[crd(from_crds_dir=False)], now=0)
    cluster.apply(namespace=NS, release="r", manifests=[crd(from_crds_dir=False), widget()], now=1)
    assert names(cluster) == {"CustomResourceDefinition/widgets.example.com", "Widget/w"}
    with pytest.raises(ManifestError, match=re.escape("in version 'example.com/v2'")):
        cluster.apply(namespace=NS, release="r", manifests=[{**widget(), "apiVersion": "example.com/v2"}], now=2)


def test_crds_of_the_crds_directory_come_first_and_stay(cluster: Cluster) -> None:
    result = cluster.apply(namespace=NS, release="r", manifests=[crd(from_crds_dir=True), widget()], now=0)
    assert result.created == ("CustomResourceDefinition/widgets.example.com", "Widget/w")

    # Another release of the same chart: the CRD exists, helm skips it (no conflict, no change of owner).
    cluster.apply(namespace=NS, release="other", manifests=[crd(from_crds_dir=True), widget("w2")], now=1)
    assert names(cluster, "other") == {"Widget/w2"}
    # An upgrade neither updates nor deletes it.
    cluster.apply(namespace=NS, release="r", manifests=[widget()], now=2)
    cluster.uninstall(namespace=NS, release="r", now=3)
    assert names(cluster) == {"CustomResourceDefinition/widgets.example.com"}
    cluster.apply(namespace=NS, release="r", manifests=[widget()], now=4)  # still served


def test_explicit_nulls_are_unset_fields_and_get_their_defaults(cluster: Cluster) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": None, "annotations": None},
        "spec": {
            "replicas": None,
            "strategy": None,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.27",
                            "resources": None,
                            "readinessProbe": {"initialDelaySeconds": None, "periodSeconds": 2, "httpGet": None},
                        }
                    ]
                },
            },
        },
    }
    cluster.apply(namespace=NS, release="r", manifests=[deployment], now=0)
    cluster.tick(100)
    status = cluster.status(namespace=NS, release="r")
    assert status.ready and [(w.desired, w.ready) for w in status.workloads] == [(1, 1)]
    stored = cluster.objects(namespace=NS, release="r")[0].applied
    assert "replicas" not in stored["spec"] and "strategy" not in stored["spec"]
    assert stored["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] == {"periodSeconds": 2}


def test_hooks_run_by_weight_around_the_release_with_their_delete_policies(cluster: Cluster) -> None:
    manifests = [
        config_map("app"),
        hook_job("migrate", "pre-install,pre-upgrade", weight=5, policy="before-hook-creation,hook-succeeded"),
        hook_job("schema", "pre-install", weight=-5),
        hook_job("notify", "post-install", weight=0, policy="hook-failed"),
        config_map("seed", **{"helm.sh/hook": "post-install", "helm.sh/hook-weight": "-1"}),
        hook_job("smoke", "test"),  # `helm install` does not run tests
    ]
    result = cluster.apply(namespace=NS, release="r", manifests=manifests, now=0)
    assert result.hooks == ("Job/schema", "Job/migrate", "ConfigMap/seed", "Job/notify")
    assert result.created == ("ConfigMap/app",) and result.skipped == ("Job/smoke",)
    # hook-succeeded deleted "migrate"; the others stay, their Jobs complete, no pod left running.
    assert names(cluster) == {"ConfigMap/app", "Job/schema", "ConfigMap/seed", "Job/notify"}
    cluster.tick(100)
    assert cluster.status(namespace=NS, release="r").ready and cluster.status(namespace=NS, release="r").pods == ()

    # An upgrade runs the pre-upgrade hooks only; a chart without the post-install hooks leaves them.
    result = cluster.apply(namespace=NS, release="r", manifests=manifests[:2], now=10)
    assert result.hooks == ("Job/migrate",) and result.deleted == ()
    assert names(cluster) == {"ConfigMap/app", "Job/schema", "ConfigMap/seed", "Job/notify"}


def test_a_failing_hook_fails_the_apply_and_hook_failed_deletes_it(cluster: Cluster) -> None:
    failing = [
        config_map("app"),
        hook_job("kept", "post-install", weight=1, fail=True),
        hook_job("cleaned", "pre-install", policy="hook-failed", fail=True),
    ]
    with pytest.raises(HookFailed, match="pre-install hook Job/cleaned failed: BackoffLimitExceeded") as failed:
        cluster.apply(namespace=NS, release="r", manifests=failing, now=0)
    assert failed.value.revision == 1
    assert names(cluster) == set()  # deleted by hook-failed; nothing after it was applied

    with pytest.raises(HookFailed, match="post-install hook Job/kept failed"):
        cluster.apply(namespace=NS, release="r2", manifests=failing[:2], now=1)
    assert names(cluster, "r2") == {"ConfigMap/app", "Job/kept"}  # no hook-failed: the failed Job stays
    # Without before-hook-creation, a hook that is still there fails as "already exists".
    again = [hook_job("kept", "pre-upgrade", policy="hook-succeeded")]
    with pytest.raises(HookFailed, match="Job/kept failed: it already exists"):
        cluster.apply(namespace=NS, release="r2", manifests=again, now=2)


def test_uninstall_runs_delete_hooks_and_leaves_kept_objects_and_hooks(cluster: Cluster) -> None:
    manifests = [
        config_map("app"),
        config_map("keep", **{"helm.sh/resource-policy": "keep"}),
        hook_job("install", "post-install"),
        hook_job("backup", "pre-delete", policy="hook-succeeded"),
        hook_job("goodbye", "post-delete"),
    ]
    cluster.apply(namespace=NS, release="r", manifests=manifests, now=0)
    assert names(cluster) == {"ConfigMap/app", "ConfigMap/keep", "Job/install"}

    assert cluster.uninstall(namespace=NS, release="r", now=1, manifests=manifests) == ["ConfigMap/app"]
    assert cluster.releases() == []
    assert names(cluster) == {"ConfigMap/keep", "Job/install", "Job/goodbye"}


def test_a_failing_pre_delete_hook_stops_the_uninstall(cluster: Cluster) -> None:
    manifests = [config_map("app"), hook_job("backup", "pre-delete", policy="hook-failed", fail=True)]
    cluster.apply(namespace=NS, release="r", manifests=manifests, now=0)
    with pytest.raises(HookFailed, match="pre-delete hook Job/backup failed"):
        cluster.uninstall(namespace=NS, release="r", now=1, manifests=manifests)
    assert cluster.releases() == [(NS, "r")] and names(cluster) == {"ConfigMap/app"}
