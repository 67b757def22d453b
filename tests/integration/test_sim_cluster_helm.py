"""The sim cluster model with a real chart: the built-in Gitea rendered by the real ``helm template``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from quickon_common.helm import helm_binary
from quickon_deployer.runtime.sim import Cluster

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "catalog" / "gitea-1.1.1.tgz"
NS = "team-a"


def render(tmp_path: Path, release: str) -> list[dict[str, Any]]:
    env = {**os.environ, **{f"HELM_{d}_HOME": str(tmp_path / "helm" / d.lower()) for d in ("CACHE", "CONFIG", "DATA")}}
    result = subprocess.run(
        [helm_binary(), "template", release, str(CHART), "--namespace", NS],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def test_gitea_becomes_ready_when_its_probes_first_can_pass(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path / "volumes")
    manifests = render(tmp_path, "git")
    result = cluster.apply(namespace=NS, release="git", manifests=manifests, now=1000)
    assert set(result.created) == {
        "ServiceAccount/git-gitea", "Secret/git-gitea", "PersistentVolumeClaim/git-gitea",
        "Service/git-gitea", "Deployment/git-gitea",
    }  # fmt: skip

    # The init container (1s), then the app (1s), its startup probe (period 10s) and readiness probe (10s).
    cluster.tick(1021.99)
    status = cluster.status(namespace=NS, release="git")
    assert not status.ready and status.pods[0].phase == "Running"
    assert [c.started_at for c in status.pods[0].containers] == [1001.0, 1002.0]
    assert cluster.next_change_at() == 1022.0
    cluster.tick(1022)
    status = cluster.status(namespace=NS, release="git")
    assert status.ready and not status.degraded and cluster.next_change_at() is None

    data = cluster.volume_path(namespace=NS, claim="git-gitea")
    assert [(c.name, c.size, c.path) for c in status.claims] == [("git-gitea", "10Gi", str(data))]
    pod = status.pods[0].name
    mounts = {(m.container, m.mount_path): m.host_path for m in cluster.pod_mounts(namespace=NS, pod=pod)}
    assert mounts[("gitea", "/var/lib/gitea")] == mounts[("init", "/var/lib/gitea")] == data
    assert mounts[("gitea", "/tmp")].is_dir()
    (data / "gitea.db").write_text("repositories")

    # The chart asks for Recreate: a restart stops Gitea before the new pod starts.
    cluster.restart(namespace=NS, release="git", now=2000)
    cluster.tick(2000)
    status = cluster.status(namespace=NS, release="git")
    assert not any(pod.ready for pod in status.pods)
    cluster.tick(2022)
    assert cluster.status(namespace=NS, release="git").ready

    cluster.uninstall(namespace=NS, release="git", now=2100, keep_volumes=True)
    assert (data / "gitea.db").read_text() == "repositories"
    cluster.apply(namespace=NS, release="git", manifests=render(tmp_path, "git"), now=2200)
    cluster.tick(2222)
    assert cluster.status(namespace=NS, release="git").ready
    assert (cluster.volume_path(namespace=NS, claim="git-gitea") / "gitea.db").read_text() == "repositories"
