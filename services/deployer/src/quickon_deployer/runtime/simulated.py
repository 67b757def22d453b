"""The ``sim`` runtime: the simulated cluster (``runtime/sim``) behind the :class:`Runtime` calls, with
Helm's part played here: revisions, their stored manifests, rollback to any of them.

The cluster outlives the deployer process as a real one would: every change is saved to
``<state_dir>/cluster.json`` (and each release's revisions to ``releases/``) before the call
returns, so a deployer killed mid-saga finds on restart exactly what it had applied. Saves of
concurrent changes are grouped into one write.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from quickon_common.files import write_atomically

from .base import ClusterEvent, Health, PodHealth, ReleaseNotFound, Revision, RuntimeFailure, WorkloadHealth
from .sim import Cluster, ManifestError, NotFoundError, SimConfig, default_nodes
from .sim.quantities import QuantityError

MIN_WAIT_S = 0.005
MAX_WAIT_S = 1.0


@dataclass
class StoredRevision:
    number: int
    status: str
    description: str
    chart_version: str
    manifests: list[dict[str, Any]]


class SimRuntime:
    """A simulated cluster kept under ``state_dir``, its volumes as real directories there."""

    name = "sim"

    def __init__(self, state_dir: Path, config: SimConfig | None = None) -> None:
        self.state_dir = state_dir
        self._cluster_file = state_dir / "cluster.json"
        self._releases_dir = state_dir / "releases"
        volumes = state_dir / "volumes"
        if self._cluster_file.exists():
            snapshot = json.loads(self._cluster_file.read_text())
            self.cluster = Cluster.restore(snapshot, volume_root=volumes)
        else:
            self.cluster = Cluster(volumes, config or SimConfig())
        self._history = self._load_history()
        self._changes = 0  # changes made in memory
        self._saved = 0  # changes on disk
        self._save_lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, state_dir: Path, *, nodes: int, cpu: str, memory: str, delay_scale: float) -> SimRuntime:
        try:
            config = SimConfig(nodes=default_nodes(nodes, cpu=cpu, memory=memory), delay_scale=delay_scale)
        except (QuantityError, ValueError) as error:
            raise RuntimeFailure(f"sim runtime settings: {error}") from None
        return cls(state_dir, config)

    # -- the Runtime calls ------------------------------------------------------------------

    async def check(self) -> str | None:
        return None

    async def deploy(
        self,
        *,
        namespace: str,
        release: str,
        chart: Path,
        values: dict[str, Any],
        manifests: list[dict[str, Any]],
        description: str,
    ) -> int:
        try:
            result = self.cluster.apply(namespace=namespace, release=release, manifests=manifests, now=time.time())
        except ManifestError as error:
            raise RuntimeFailure(f"the cluster refused the manifests: {error}") from None
        version = next((str(m["metadata"].get("labels", {}).get("helm.sh/chart", "")) for m in manifests), "")
        return await self._record(namespace, release, result.revision, description, version, manifests)

    async def rollback(self, *, namespace: str, release: str, revision: int, description: str) -> int:
        history = self._history.get((namespace, release))
        if not history:
            raise ReleaseNotFound(f"no release {namespace}/{release}")
        target = next((r for r in history if r.number == revision), None)
        if target is None:
            raise RuntimeFailure(f"release {namespace}/{release} has no revision {revision}")
        try:
            result = self.cluster.apply(
                namespace=namespace, release=release, manifests=target.manifests, now=time.time()
            )
        except ManifestError as error:
            raise RuntimeFailure(f"the cluster refused revision {revision}'s manifests: {error}") from None
        return await self._record(
            namespace, release, result.revision, description, target.chart_version, target.manifests
        )

    async def history(self, *, namespace: str, release: str) -> list[Revision]:
        return [
            Revision(r.number, r.status, r.description, r.chart_version)
            for r in self._history.get((namespace, release), [])
        ]

    async def uninstall(self, *, namespace: str, release: str, keep_volumes: bool) -> None:
        if (namespace, release) in self.cluster.releases():
            self.cluster.uninstall(namespace=namespace, release=release, now=time.time(), keep_volumes=keep_volumes)
        self._history.pop((namespace, release), None)
        self._release_file(namespace, release).unlink(missing_ok=True)
        await self._save()

    async def stop(self, *, namespace: str, release: str) -> None:
        await self._admin(self.cluster.stop, namespace, release)

    async def start(self, *, namespace: str, release: str) -> None:
        await self._admin(self.cluster.start, namespace, release)

    async def restart(self, *, namespace: str, release: str) -> None:
        await self._admin(self.cluster.restart, namespace, release)

    async def replace_broken_pods(self, *, namespace: str, release: str) -> list[str]:
        try:
            deleted = self.cluster.delete_stale_pods(namespace=namespace, release=release, now=time.time())
        except NotFoundError:
            raise ReleaseNotFound(f"no release {namespace}/{release}") from None
        await self._save()
        return deleted

    async def inject(
        self, *, namespace: str, release: str, kind: str, name: str, failure: str, count: int | None = None
    ) -> None:
        """Make a workload's pods fail (an admin call of the sim runtime only)."""
        try:
            self.cluster.inject(
                namespace=namespace,
                release=release,
                kind=kind,
                name=name,
                failure=failure,
                now=time.time(),
                count=count,
            )
        except (NotFoundError, ValueError) as error:
            raise RuntimeFailure(str(error)) from None
        await self._save()

    async def clear(self, *, namespace: str, release: str, kind: str, name: str) -> None:
        """Take injected failures away again."""
        try:
            self.cluster.clear(namespace=namespace, release=release, kind=kind, name=name, now=time.time())
        except NotFoundError as error:
            raise RuntimeFailure(str(error)) from None
        await self._save()

    async def health(self, *, namespace: str, release: str) -> Health:
        self.cluster.tick(time.time())
        if (namespace, release) not in self.cluster.releases():
            return Health(exists=False)
        status = self.cluster.status(namespace=namespace, release=release)
        return Health(
            exists=True,
            ready=status.ready,
            degraded=status.degraded,
            stopped=status.stopped,
            pending_reason=status.pending_reason,
            workloads=tuple(WorkloadHealth(w.kind, w.name, w.desired, w.ready, w.updated) for w in status.workloads),
            pods=tuple(
                PodHealth(p.name, p.owner, p.phase, p.ready, p.restarts, "" if p.ready else p.reason, p.node)
                for p in status.pods
            ),
            events=tuple(
                ClusterEvent(e.type, e.reason, e.involved_object, e.message, e.count, e.last_time)
                for e in status.events
            ),
        )

    async def releases(self) -> list[tuple[str, str]]:
        return self.cluster.releases()

    async def close(self) -> None:
        await self._save()

    def wait_hint(self) -> float:
        """Until the simulated cluster next changes by itself (a pod becomes ready, a container crashes)."""
        due = self.cluster.next_change_at()
        return MAX_WAIT_S if due is None else min(max(due - time.time(), MIN_WAIT_S), MAX_WAIT_S)

    # -- Helm's part: revisions ----------------------------------------------------------------

    async def _record(
        self, namespace: str, release: str, number: int, description: str, chart: str, manifests: list[dict[str, Any]]
    ) -> int:
        history = self._history.setdefault((namespace, release), [])
        for earlier in history:
            earlier.status = "superseded"
        history.append(StoredRevision(number, "deployed", description, chart, manifests))
        # The revisions first: a crash before the cluster is saved leaves one too many, trimmed on load.
        text = json.dumps([asdict(r) for r in history], separators=(",", ":"))
        await asyncio.to_thread(write_atomically, self._release_file(namespace, release), text)
        await self._save()
        return number

    def _load_history(self) -> dict[tuple[str, str], list[StoredRevision]]:
        history: dict[tuple[str, str], list[StoredRevision]] = {}
        current = self.cluster.revisions()
        for path in self._releases_dir.glob("*/*.json"):
            key = (path.parent.name, path.stem)
            if key not in current:  # uninstalled, or never saved into the cluster
                path.unlink()
                continue
            revisions = [StoredRevision(**r) for r in json.loads(path.read_text()) if r["number"] <= current[key]]
            if revisions:
                revisions[-1].status = "deployed"
            history[key] = revisions
        return history

    def _release_file(self, namespace: str, release: str) -> Path:
        return self._releases_dir / namespace / f"{release}.json"

    async def _admin(self, call: Any, namespace: str, release: str) -> None:
        try:
            call(namespace=namespace, release=release, now=time.time())
        except NotFoundError:
            raise ReleaseNotFound(f"no release {namespace}/{release}") from None
        await self._save()

    async def _save(self) -> None:
        """Put every change made so far on disk; one write covers the changes of concurrent callers."""
        self._changes += 1
        wanted = self._changes
        async with self._save_lock:
            if self._saved >= wanted:
                return
            covered, snapshot = self._changes, self.cluster.snapshot()
            text = json.dumps(snapshot, separators=(",", ":"))  # the C encoder: json.dump's is 3x slower
            await asyncio.to_thread(write_atomically, self._cluster_file, text)
            self._saved = covered
