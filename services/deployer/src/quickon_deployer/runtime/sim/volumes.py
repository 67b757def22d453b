"""Volumes as real directories: ``<root>/<namespace>/<claim>/`` per PersistentVolumeClaim, and
``<root>/<namespace>/.emptydir/<pod>/<volume>/`` per emptyDir (a name no claim can have)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .pods import Pod

EMPTY_DIRS = ".emptydir"


@dataclass(frozen=True)
class Mount:
    """Where a container sees a directory of this machine."""

    container: str
    mount_path: str
    host_path: Path
    volume: str
    read_only: bool = False


class Volumes:
    """The directories under one root; names reaching here are validated DNS names (no ``..``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def claim_dir(self, namespace: str, claim: str) -> Path:
        return self.root / namespace / claim

    def create_claim(self, namespace: str, claim: str) -> Path:
        path = self.claim_dir(namespace, claim)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def remove_claim(self, namespace: str, claim: str) -> None:
        shutil.rmtree(self.claim_dir(namespace, claim), ignore_errors=True)

    def pod_dir(self, pod: Pod) -> Path:
        return self.root / pod.namespace / EMPTY_DIRS / pod.name

    def mounts(self, pod: Pod) -> list[Mount]:
        """Each mount of a volume that has a directory (PVC or emptyDir), in container order."""
        volumes = {volume.name: volume for volume in pod.spec.volumes}
        mounts = []
        for mount in pod.spec.mounts:
            volume = volumes[mount.volume]
            if volume.claim is not None:
                base = self.claim_dir(pod.namespace, volume.claim)
            elif volume.empty_dir:
                base = self.pod_dir(pod) / volume.name
            else:
                continue
            host = base / mount.sub_path if mount.sub_path else base
            mounts.append(Mount(mount.container, mount.mount_path, host, mount.volume, mount.read_only))
        return mounts

    def prepare_pod(self, pod: Pod) -> None:
        """What the kubelet does before starting containers: emptyDirs and missing subPaths exist."""
        for volume in pod.spec.volumes:
            if volume.empty_dir:
                (self.pod_dir(pod) / volume.name).mkdir(parents=True, exist_ok=True)
        for mount in self.mounts(pod):
            mount.host_path.mkdir(parents=True, exist_ok=True)

    def remove_pod(self, pod: Pod) -> None:
        shutil.rmtree(self.pod_dir(pod), ignore_errors=True)


def disk_used(directories: Iterable[tuple[str, Path]]) -> dict[str, int]:
    """The bytes each node's directories take on disk (allocated blocks, as ``du`` counts them), by node."""
    used: dict[str, int] = {}
    for node, directory in directories:
        used[node] = used.get(node, 0) + _tree_bytes(directory)
    return used


def _tree_bytes(directory: Path) -> int:
    total = 0
    pending = [str(directory)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:  # gone meanwhile (a pod deleted): it holds nothing any more
            continue
    return total
