"""The simulated cluster: a faithful, kubelet-less model of what Kubernetes does with the objects a
Helm chart renders, driven by an explicit clock.

Every call that changes something takes ``now`` (seconds, any epoch, never read from the wall
clock). The model first plays everything due up to ``now``, then makes the change; controllers
and the scheduler act on it at the next :meth:`Cluster.tick`, as they would asynchronously in a
real cluster. :meth:`Cluster.next_change_at` says when a tick next has work, so a caller can sleep
exactly that long.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import admin, nodes, parts
from .admin import NotFoundError
from .apps import AppTarget, app_page, app_targets
from .engine import advance_to, next_change_at
from .events import Event
from .exporter import exposition
from .failures import Failure, parse_failure
from .kinds import Kind
from .manifests import CRD, crd_kind, hook_phases, read_manifests
from .nodes import Evictable, NodeView
from .objects import StoredObject
from .pods import Pod
from .releases import INSTALL, ROLLBACK, UPGRADE, ApplyResult, apply_release, release_objects, uninstall_release
from .state import STATE, ClusterState, SimConfig
from .status import NodeStatus, NodeUsage, ReleaseStatus, claimed_bytes, node_statuses, node_usages, release_status
from .volumes import Mount
from .world import World

DELETE_HOOKS = {"pre-delete", "post-delete"}


class Cluster:
    """Nodes, releases' objects, pods, volumes and events of one simulated cluster."""

    def __init__(self, volume_root: Path, config: SimConfig | None = None) -> None:
        self._world = World(ClusterState(config=config or SimConfig()), volume_root)

    @classmethod
    def load(cls, globals_json: bytes, parts_json: Iterable[bytes], *, volume_root: Path) -> Cluster:
        """A cluster that continues where :meth:`saved_globals` and :meth:`saved_parts` left it."""
        state = parts.load(globals_json, parts_json)
        cluster = cls(volume_root, state.config)
        cluster._world = World(state, volume_root)
        return cluster

    def snapshot(self) -> dict[str, Any]:
        """The whole model as JSON-compatible data."""
        data: dict[str, Any] = STATE.dump_python(self._world.state, mode="json")
        return data

    def take_touched(self) -> set[str]:
        """The names of the releases changed since the last call: the parts a save must rewrite."""
        touched, self._world.touched = self._world.touched, set()
        return touched

    def saved_globals(self) -> bytes:
        return parts.dump_globals(self._world.state)

    def saved_parts(self, releases: Iterable[str]) -> dict[str, bytes | None]:
        """The JSON of the named releases' parts (None: nothing left of it)."""
        return parts.dump_parts(self._world.state, releases)

    @property
    def now(self) -> float:
        """The model's clock: the latest time it has been advanced to."""
        return self._world.now

    @property
    def config(self) -> SimConfig:
        return self._world.config

    # Time

    def tick(self, now: float) -> bool:
        """Play every transition due up to ``now`` in time order; returns whether anything changed."""
        return advance_to(self._world, now)

    def next_change_at(self) -> float | None:
        """When the next transition is due (the current time if controllers have work), or None."""
        return next_change_at(self._world)

    # Helm

    def apply(
        self, *, namespace: str, release: str, manifests: Iterable[Any], now: float, rollback: bool = False
    ) -> ApplyResult:
        """Install or upgrade ``release`` with ``helm template``'s documents (or roll it back to an earlier
        revision's): all or nothing, unless a hook fails.

        Raises :class:`ManifestError` listing every invalid object (or one owned by another release), and
        ``HookFailed`` (a ManifestError) when a hook fails, what was applied before it staying as in helm.
        """
        self.tick(now)
        self._world.touch(release)
        installed = f"{namespace}/{release}" in self._world.state.releases
        action = ROLLBACK if rollback else UPGRADE if installed else INSTALL
        valid, skipped = read_manifests(list(manifests), namespace=namespace, installed_kinds=self._installed_kinds)
        return apply_release(
            self._world, namespace=namespace, release=release, manifests=valid, skipped=skipped, action=action
        )

    def uninstall(
        self, *, namespace: str, release: str, now: float, keep_volumes: bool = False, manifests: Iterable[Any] = ()
    ) -> list[str]:
        """Delete the release's objects and pods; its claims and their directories too unless ``keep_volumes``.
        ``manifests`` (the deployed revision's documents) give the delete hooks to run around it."""
        self.tick(now)
        self._world.touch(release)
        self._require_release(namespace, release)
        # Only the delete hooks are read: the revision's other objects may no longer be valid (their CRD gone).
        delete_hooks = [document for document in manifests if DELETE_HOOKS & hook_phases(document)]
        hooks, _ = read_manifests(delete_hooks, namespace=namespace, installed_kinds=self._installed_kinds)
        return uninstall_release(
            self._world, namespace=namespace, release=release, keep_volumes=keep_volumes, hooks=hooks
        )

    # Operations

    def scale(self, *, namespace: str, release: str, kind: str, name: str, replicas: int, now: float) -> None:
        """Set a Deployment's or StatefulSet's replicas."""
        self.tick(now)
        self._world.touch(release)
        admin.scale(self._world, self._workload(namespace, release, kind, name), replicas)

    def stop(self, *, namespace: str, release: str, now: float) -> None:
        """Scale the release to zero pods, keeping its claims and volumes."""
        self.tick(now)
        self._world.touch(release)
        self._require_release(namespace, release)
        admin.stop(self._world, namespace=namespace, release=release)

    def start(self, *, namespace: str, release: str, now: float) -> None:
        """Restore the replicas a :meth:`stop` took away."""
        self.tick(now)
        self._world.touch(release)
        self._require_release(namespace, release)
        admin.start(self._world, namespace=namespace, release=release)

    def restart(
        self, *, namespace: str, release: str, now: float, kind: str | None = None, name: str | None = None
    ) -> None:
        """Rolling restart of every workload of the release (or of one): a new restartedAt annotation."""
        self.tick(now)
        self._world.touch(release)
        self._require_release(namespace, release)
        objects = release_objects(self._world, namespace, release)
        if kind is not None and name is not None:
            objects = [self._workload(namespace, release, kind, name)]
        admin.restart(self._world, objects)

    def delete_stale_pods(self, *, namespace: str, release: str, now: float) -> list[str]:
        """Delete the release's pods that are not ready and run an older template (a forced rollback)."""
        self.tick(now)
        self._world.touch(release)
        self._require_release(namespace, release)
        return admin.delete_stale_pods(self._world, release_objects(self._world, namespace, release))

    def inject(
        self,
        *,
        namespace: str,
        release: str,
        kind: str,
        name: str,
        failure: Failure | str,
        now: float,
        count: int | None = None,
    ) -> None:
        """Make a workload's pods fail (``image-pull-error``, ``crash-loop``, ``never-ready``): all of them
        from now on, or only the next ``count`` pods it creates."""
        self.tick(now)
        self._world.touch(release)
        obj = self._workload(namespace, release, kind, name)
        admin.inject(self._world, obj, parse_failure(failure), count=count)

    def clear(self, *, namespace: str, release: str, kind: str, name: str, now: float) -> None:
        """Remove the failures injected into a workload; its pods recover as a fixed application would."""
        self.tick(now)
        self._world.touch(release)
        admin.clear(self._world, self._workload(namespace, release, kind, name))

    # Views

    def releases(self) -> list[tuple[str, str]]:
        """(namespace, release) of every installed release."""
        return sorted((r.namespace, r.name) for r in self._world.state.releases.values())

    def has_release(self, *, namespace: str, release: str) -> bool:
        """Whether the release is installed: asked of every service at each status watch, so not a search of
        :meth:`releases` (a thousand services made that a million comparisons a watch)."""
        return f"{namespace}/{release}" in self._world.state.releases

    def status(self, *, namespace: str, release: str) -> ReleaseStatus:
        """Workloads, pods, claims, recent events and a summary; an uninstalled release whose volumes
        were kept still shows its claims."""
        status = release_status(self._world, namespace=namespace, release=release)
        if f"{namespace}/{release}" not in self._world.state.releases and not status.claims:
            raise NotFoundError(f"no release {namespace}/{release}")
        return status

    def terminating(self, *, namespace: str, release: str) -> list[str]:
        """What is left of the release's deleted objects (``Pod/web-0``, ``PersistentVolumeClaim/data``):
        pods shutting down, and the claims they still mount."""
        left = self._world.terminating(namespace, release)
        return sorted(f"{'Pod' if isinstance(item, Pod) else 'PersistentVolumeClaim'}/{item.name}" for item in left)

    def events(self, *, namespace: str, release: str, limit: int | None = None) -> list[Event]:
        """The release's events, oldest first (the last ``limit`` only, if given)."""
        events = self._world.state.events.get(f"{namespace}/{release}", [])
        return list(events if limit is None else events[-limit:])

    def objects(self, *, namespace: str, release: str) -> list[StoredObject]:
        """Copies of the release's stored objects (``live`` is what the controllers act on)."""
        return copy.deepcopy(release_objects(self._world, namespace, release))

    def service_names(self, *, namespace: str, release: str) -> set[str]:
        """The names of the release's Services in ``namespace`` (what an Ingress of it may route to)."""
        return {
            o.name
            for o in release_objects(self._world, namespace, release)
            if o.kind == "Service" and o.namespace == namespace
        }

    def nodes(self) -> list[NodeStatus]:
        return node_statuses(self._world)

    def node_views(self) -> list[NodeView]:
        """Every node with its state, requests and pods (``kubectl describe nodes``)."""
        return nodes.node_views(self._world)

    def cordon(self, *, node: str, now: float) -> bool:
        """Mark ``node`` unschedulable (``kubectl cordon``); returns whether it changed."""
        self.tick(now)
        return nodes.set_unschedulable(self._world, node, True)

    def uncordon(self, *, node: str, now: float) -> bool:
        """Mark ``node`` schedulable again (``kubectl uncordon``); returns whether it changed."""
        self.tick(now)
        return nodes.set_unschedulable(self._world, node, False)

    def platform_replicas(self) -> dict[str, int]:
        """The replicas the platform's own Deployments ask for, by the service an admin scaled (others: 1)."""
        return dict(self._world.state.platform)

    def scale_platform(self, *, service: str, replicas: int) -> None:
        """Set the replicas a platform Deployment asks for (the caller checked the name and the number)."""
        self._world.state.platform = {**self._world.state.platform, service: replicas}

    def evict(self, *, namespace: str, pod: str, now: float) -> bool:
        """Evict a pod (the Eviction API); False when it is gone or Terminating already."""
        self.tick(now)
        found = self._world.state.pods.get(f"{namespace}/{pod}")
        if found is not None:
            self._world.touch(found.release)
        return nodes.evict(self._world, namespace=namespace, pod=pod)

    def drain_candidates(self, *, node: str, now: float) -> tuple[list[Evictable], list[str]]:
        """The pods a drain evicts from ``node``, by controller, and those it leaves with why."""
        self.tick(now)
        return nodes.drain_candidates(self._world, node)

    def replacement_state(self, *, owner: str, evicted: set[int], now: float) -> tuple[str, str]:
        """``waiting``, ``moved`` or ``stuck`` (with why) for a controller whose pods were evicted."""
        self.tick(now)
        return nodes.replacement_state(self._world, owner, evicted)

    def usage(self) -> tuple[list[NodeUsage], int]:
        """Each node's capacity and its pods' requests, and the bytes every volume claim asks for."""
        return node_usages(self._world), claimed_bytes(self._world)

    def disk_directories(self) -> list[tuple[str, Path]]:
        """(node, directory) of every volume that lives on a node: claims a pod has used, and the emptyDirs of
        the pods bound to it. What fills the node's disk (:func:`volumes.disk_used` measures them)."""
        found = [
            (claim.node, self._world.volumes.claim_dir(claim.namespace, claim.name))
            for claim in self._world.state.claims.values()
            if claim.node is not None
        ]
        found += [
            (pod.node, self._world.volumes.pod_dir(pod))
            for pod in self._world.state.pods.values()
            if pod.node is not None and any(volume.empty_dir for volume in pod.spec.volumes)
        ]
        return found

    def fill_disk(self, *, node: str, size: int, now: float) -> None:
        """Put ``size`` bytes on ``node``'s disk beside what its volumes hold (0 takes them away): a full disk
        for a test or a demo, without writing it."""
        if node not in {n.name for n in self._world.nodes}:
            known = ", ".join(n.name for n in self._world.nodes)
            raise NotFoundError(f"no node {node!r} (the nodes: {known})")
        if size < 0:
            raise ValueError(f"size must not be negative (got {size})")
        self.tick(now)
        if size:
            self._world.state.disk_fill[node] = size
        else:
            self._world.state.disk_fill.pop(node, None)

    def metrics(self, *, now: float, disk_used: Mapping[str, int]) -> str:
        """Every series a real cluster's exporters would give of this one (see :mod:`.exporter`)."""
        self.tick(now)
        return exposition(self._world, disk_used=disk_used, now=now)

    def app_targets(self) -> list[AppTarget]:
        """The pods whose apps declare a metrics endpoint (``quickon.io/metrics``)."""
        return app_targets(self._world)

    def app_metrics(self, *, namespace: str, pod: str, now: float) -> str | None:
        """What the app of a pod serves at its metrics endpoint now; None when nothing answers there."""
        self.tick(now)
        return app_page(self._world, namespace=namespace, pod=pod)

    @property
    def volume_root(self) -> Path:
        """Where the volumes' directories are."""
        return self._world.volumes.root

    def volume_path(self, *, namespace: str, claim: str) -> Path:
        """The directory holding a PersistentVolumeClaim's data."""
        if f"{namespace}/{claim}" not in self._world.state.claims:
            raise NotFoundError(f"no PersistentVolumeClaim {namespace}/{claim}")
        return self._world.volumes.claim_dir(namespace, claim)

    def pod_mounts(self, *, namespace: str, pod: str) -> list[Mount]:
        """Which host directory each container of a pod sees at each mount path."""
        found = self._world.state.pods.get(f"{namespace}/{pod}")
        if found is None:
            raise NotFoundError(f"no pod {namespace}/{pod}")
        return self._world.volumes.mounts(found)

    def _installed_kinds(self) -> dict[tuple[str, str], Kind]:
        """The custom kinds the cluster serves: one per CustomResourceDefinition stored."""
        crds = (crd_kind(obj.live) for obj in self._world.state.objects.values() if obj.kind == CRD)
        return dict(found for found in crds if found is not None)

    def _require_release(self, namespace: str, release: str) -> None:
        if f"{namespace}/{release}" not in self._world.state.releases:
            raise NotFoundError(f"no release {namespace}/{release}")

    def _workload(self, namespace: str, release: str, kind: str, name: str) -> StoredObject:
        return admin.find_workload(self._world, namespace=namespace, release=release, kind=kind, name=name)
