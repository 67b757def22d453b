"""What the deployer asks of a runtime (``kubernetes`` or ``sim``), and what a runtime answers.

Every call is idempotent where the real thing is: deleting what is gone or stopping what is
stopped is not an error, so that a saga interrupted mid-step can simply run the step again.
Release revisions are Helm's: each deploy or rollback adds one, numbered from 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from quickon_common.contracts.deploy import COMPONENT_REPLICAS_MAX, COMPONENT_REPLICAS_MIN
from quickon_common.settings import SERVICES


class RuntimeFailure(Exception):
    """The runtime refused or failed an operation; ``reason`` is for the user, ``retryable`` says
    whether trying the same call again later may succeed (the cluster was unreachable)."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class ReleaseNotFound(RuntimeFailure):
    """No release of that name in that namespace."""


class NodeNotFound(RuntimeFailure):
    """No node of that name in the cluster."""


class ComponentNotFound(RuntimeFailure):
    """No platform component of that name (or, on a cluster, no Deployment of it)."""


# The platform's own services, each a Deployment ``<release>-<service>`` on Kubernetes.
PLATFORM_COMPONENTS = SERVICES


def check_component_scale(name: str, replicas: int) -> None:
    """Refuse a scale of a component that is not one of the platform's, or to a number it may not have."""
    if name not in PLATFORM_COMPONENTS:
        raise ComponentNotFound(
            f"no platform component {name!r}; the components are {', '.join(sorted(PLATFORM_COMPONENTS))}"
        )
    if not COMPONENT_REPLICAS_MIN <= replicas <= COMPONENT_REPLICAS_MAX:
        raise RuntimeFailure(
            f"a component runs {COMPONENT_REPLICAS_MIN} to {COMPONENT_REPLICAS_MAX} replicas, not {replicas}: "
            f"ask for a number in that range (to stop the platform, scale its Deployments with kubectl)"
        )


@dataclass(frozen=True)
class Revision:
    """One revision of a release, as ``helm history`` lists it."""

    number: int
    status: str  # deployed, superseded, failed
    description: str
    chart_version: str = ""


@dataclass(frozen=True)
class WorkloadHealth:
    kind: str
    name: str
    desired: int
    ready: int
    updated: int


@dataclass(frozen=True)
class PodHealth:
    name: str
    workload: str  # Kind/name of its owner
    phase: str
    ready: bool
    restarts: int
    reason: str  # why it is not ready, when it is not (CrashLoopBackOff, ImagePullBackOff, ...)
    node: str | None = None


@dataclass(frozen=True)
class ClusterEvent:
    type: str  # Normal, Warning
    reason: str
    object: str
    message: str
    count: int
    time: float


@dataclass(frozen=True)
class Health:
    """A release's state as the user sees it: what runs, what fails and why."""

    exists: bool
    ready: bool = False  # every workload has all its replicas current and ready
    degraded: bool = False  # some pod crash-loops, cannot pull its image or loses readiness
    stopped: bool = False  # has workloads and all are scaled to zero
    pending_reason: str | None = None  # why a pod cannot be scheduled
    workloads: tuple[WorkloadHealth, ...] = ()
    pods: tuple[PodHealth, ...] = ()
    events: tuple[ClusterEvent, ...] = field(default=())

    @property
    def failure(self) -> str | None:
        """The first failing pod and why, for a failure event: ``pod web-1: CrashLoopBackOff``."""
        for pod in self.pods:
            if not pod.ready and pod.reason in FAILING_REASONS:
                return f"pod {pod.name}: {pod.reason}"
        return None

    @property
    def gone(self) -> bool:
        """No pod is left (after a stop or an uninstall)."""
        return not self.pods

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "failure": self.failure}


@dataclass(frozen=True)
class NodeResources:
    """One node: what it can hold (allocatable) and what the pods bound to it request."""

    name: str
    ready: bool
    cpu_m: int  # millicores
    memory: int  # bytes
    cpu_requested_m: int
    memory_requested: int
    pods: int


@dataclass(frozen=True)
class ClusterResources:
    """The cluster's nodes and storage: capacity against what is requested (the scheduler's view, not live
    usage). ``storage_capacity`` is None where the runtime cannot tell how much the volumes may take."""

    nodes: tuple[NodeResources, ...]
    storage_requested: int  # bytes the volume claims ask for
    storage_capacity: int | None


@dataclass(frozen=True)
class NodeCondition:
    type: str  # Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable
    status: str  # True, False, Unknown
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class NodeTaint:
    key: str
    effect: str  # NoSchedule, PreferNoSchedule, NoExecute
    value: str = ""


@dataclass(frozen=True)
class NodePod:
    """A pod bound to a node."""

    namespace: str
    name: str
    owner: str  # Kind/name of its controller ("" for none)
    phase: str
    ready: bool
    cpu_requested_m: int = 0
    memory_requested: int = 0


@dataclass(frozen=True)
class NodeInfo:
    """One node as ``kubectl describe node`` shows it: capacity and allocatable, what its pods request,
    conditions, taints, whether it is cordoned, its kubelet's version and (in a detail) its pods."""

    name: str
    ready: bool
    unschedulable: bool
    cpu_capacity_m: int
    memory_capacity: int
    pods_capacity: int
    cpu_allocatable_m: int
    memory_allocatable: int
    pods_allocatable: int
    cpu_requested_m: int
    memory_requested: int
    pod_count: int
    kubelet_version: str
    labels: dict[str, str] = field(default_factory=dict)
    conditions: tuple[NodeCondition, ...] = ()
    taints: tuple[NodeTaint, ...] = ()
    pods: tuple[NodePod, ...] = ()
    created_at: float | None = None


@dataclass(frozen=True)
class DrainOutcome:
    """What a drain did: the pods evicted (``namespace/name``), the controllers whose pods could not move
    with why (a local volume on that node, a failing replacement), and the pods it left with why."""

    node: str
    evicted: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()  # "<namespace/Kind/name>: <where its pods run now>"
    stuck: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


# How a drain tells its progress (a sentence per step: "evicting apps/Deployment/web: web-1").
DrainProgress = Callable[[str], Awaitable[None]]


FAILING_REASONS = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "Error", "CreateContainerConfigError", "OOMKilled"}
)


class Runtime(Protocol):
    """Where the apps run. One instance per deployer process, shared by every saga."""

    name: str
    # Whether the backup service can copy the release's volumes: on ``sim`` each claim is a directory here;
    # on ``kubernetes`` the copy (a Job per volume streaming to the store) is not built yet.
    copies_volumes: bool

    async def check(self) -> str | None:
        """None when the cluster answers, else why not (for ``/readyz``)."""

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
        """Install or upgrade ``release`` from the packaged ``chart`` with ``values`` (``manifests``
        is what ``helm template`` made of them); returns the new revision."""

    async def rollback(self, *, namespace: str, release: str, revision: int, description: str) -> int:
        """Bring back an earlier revision's objects as a new revision; returns its number."""

    async def history(self, *, namespace: str, release: str) -> list[Revision]:
        """The release's revisions, oldest first; empty when there is no such release."""

    async def uninstall(self, *, namespace: str, release: str, keep_volumes: bool) -> None:
        """Delete the release (nothing when it is gone) and its volumes unless ``keep_volumes``; returns once
        its objects and their pods are gone from the cluster, as ``helm uninstall --wait`` (a call repeated
        after a crash waits again for what is left)."""

    async def stop(self, *, namespace: str, release: str) -> None:
        """Scale every workload to zero, remembering its replicas; volumes stay."""

    async def start(self, *, namespace: str, release: str) -> None:
        """Scale every workload back to the replicas it had before :meth:`stop`."""

    async def restart(self, *, namespace: str, release: str) -> None:
        """Rolling restart of every workload (a new pod template annotation)."""

    async def replace_broken_pods(self, *, namespace: str, release: str) -> list[str]:
        """Delete the pods that are not ready and run an older pod template, so that their controller
        makes them again from the current one; returns their names. Kubernetes' forced rollback: a
        StatefulSet never replaces a pod that is not Ready, so the pod a bad upgrade broke would
        block the rollback that fixes it."""

    async def apply_exposure(self, *, namespace: str, release: str, objects: list[dict[str, Any]]) -> None:
        """Make the objects QuickOn owns to reach the release (Ingresses, Secrets, Certificates labelled
        ``quickon.io/exposure-of: <release>``) exactly ``objects``: each created or replaced, the ones owned
        before and not among them deleted (empty: none left). :meth:`uninstall` deletes them too."""

    async def exposure(self, *, namespace: str, release: str) -> list[dict[str, Any]]:
        """The objects QuickOn owns to reach the release, as the cluster holds them."""

    async def health(self, *, namespace: str, release: str) -> Health:
        """Workloads, pods and recent events of the release; ``exists=False`` when there is none."""

    async def releases(self) -> list[tuple[str, str]]:
        """(namespace, release) of every release the runtime holds."""

    async def resources(self) -> ClusterResources:
        """The nodes' capacity and the pods' requests, and the storage the volume claims ask for."""

    async def nodes(self) -> list[NodeInfo]:
        """Every node, without its pods."""

    async def node(self, name: str) -> NodeInfo:
        """One node with its pods; :class:`NodeNotFound` when there is none."""

    async def cordon(self, name: str) -> bool:
        """Mark the node unschedulable (``spec.unschedulable``); returns whether it changed."""

    async def uncordon(self, name: str) -> bool:
        """Mark the node schedulable again; returns whether it changed."""

    async def drain(self, name: str, *, progress: DrainProgress, until: float) -> DrainOutcome:
        """``kubectl drain --ignore-daemonsets``: cordon, then evict every pod a controller would make again,
        one controller at a time, waiting until its new pods are ready elsewhere (or cannot be: then it is
        ``stuck``, with the scheduler's reason) before the next; a PodDisruptionBudget that forbids an
        eviction is waited for. ``until`` (epoch seconds) bounds the whole; repeating it after a crash goes
        on with what is left on the node."""

    async def components(self) -> dict[str, int]:
        """Each platform component's desired replicas (``{"deployer": 2, ...}``): on Kubernetes its Deployment's
        ``spec.replicas`` in the platform's namespace (one not found there is left out); on ``sim``, as kept."""

    async def scale_component(self, name: str, replicas: int) -> int:
        """Set the desired replicas of the platform component ``name`` (its Deployment's ``scale``); returns
        the replicas now desired. :class:`ComponentNotFound` for a name that is no component (or whose
        Deployment is not there), :class:`RuntimeFailure` for replicas outside 1..20: nothing changes then."""

    async def until_changed(self, *, namespace: str, release: str, at_most: float) -> None:
        """Return as soon as the release's health may differ from what :meth:`health` last read of it (the
        cluster reported a change), and at the latest after ``at_most`` seconds: a saga waiting for readiness
        reads the health again then."""

    async def close(self) -> None:
        """Release connections and files."""
