"""Everything the simulated cluster knows, as plain dataclasses: what :meth:`Cluster.snapshot` saves."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import TypeAdapter

from .events import Event
from .failures import Failure
from .objects import StoredObject
from .pods import Pod
from .quantities import cpu_millis, memory_bytes

# Back-offs scale with delay_scale too, but never below this share of real time: a crash loop at
# delay_scale=0 would otherwise restart endlessly within one instant.
MIN_BACKOFF_SCALE = 0.01


@dataclass(frozen=True)
class NodeSpec:
    name: str
    cpu: str = "4"
    memory: str = "8Gi"
    max_pods: int = 110
    labels: dict[str, str] = field(default_factory=dict)
    disk: str = "100Gi"  # the node's file system, which its volumes and emptyDirs fill (the exporter's numbers)


def default_nodes(count: int = 3, *, cpu: str = "4", memory: str = "8Gi", disk: str = "100Gi") -> tuple[NodeSpec, ...]:
    """``count`` identical nodes named sim-node-1, sim-node-2, ..."""
    return tuple(NodeSpec(f"sim-node-{index}", cpu, memory, disk=disk) for index in range(1, count + 1))


@dataclass(frozen=True)
class SimConfig:
    """The simulated cluster's shape and pace."""

    nodes: tuple[NodeSpec, ...] = field(default_factory=default_nodes)
    start_delay_s: float = 1.0  # pulling an image and starting a container
    delay_scale: float = 1.0  # multiplies every delay; 0 makes pods ready at once (benchmarks)
    job_run_s: float = 5.0  # how long a Job's container runs, unless its pod template says otherwise
    stop_s: float = 1.0  # how long an application takes to exit on SIGTERM, at most its pod's grace period
    events_per_release: int = 500

    def __post_init__(self) -> None:
        names = [node.name for node in self.nodes]
        if not names or len(names) != len(set(names)):
            raise ValueError("a simulated cluster needs at least one node, each with its own name")
        for node in self.nodes:  # a bad quantity raises QuantityError naming it
            cpu_millis(node.cpu)
            memory_bytes(node.memory)
            memory_bytes(node.disk)
        if min(self.start_delay_s, self.delay_scale, self.job_run_s, self.stop_s) < 0 or self.events_per_release < 1:
            raise ValueError("delays and the delay scale must not be negative; events_per_release at least 1")

    def delay(self, seconds: float) -> float:
        return seconds * self.delay_scale

    def backoff_delay(self, seconds: float) -> float:
        return seconds * max(self.delay_scale, MIN_BACKOFF_SCALE)


@dataclass
class Claim:
    """A PersistentVolumeClaim, always bound: its volume is a directory on this machine."""

    namespace: str
    name: str
    release: str
    size: str
    created_at: float
    owner: str | None = None  # the StatefulSet whose claim template made it; None: from a manifest
    node: str | None = None  # like local-path volumes, it stays on the node of the first pod that used it
    deleted_at: float | None = None  # deleted while a pod still mounts it: Terminating until no pod does

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class WorkloadState:
    """What a workload's controller remembers beyond its object."""

    injected: Failure | None = None  # every pod, until cleared
    injected_next: Failure | None = None  # the next ``injected_next_count`` pods created
    injected_next_count: int = 0
    completed_revision: str | None = None  # a Job: the template that has run to completion


@dataclass
class ReleaseRecord:
    namespace: str
    name: str
    revision: int
    installed_at: float
    updated_at: float


@dataclass
class ClusterState:
    config: SimConfig = field(default_factory=SimConfig)
    clock: float = 0.0
    serial: int = 0
    releases: dict[str, ReleaseRecord] = field(default_factory=dict)
    objects: dict[str, StoredObject] = field(default_factory=dict)
    workloads: dict[str, WorkloadState] = field(default_factory=dict)
    pods: dict[str, Pod] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    dirty: list[str] = field(default_factory=list)  # objects whose controller must look again
    unsettled: bool = False  # pods or claims changed: the scheduler is due now
    capacity_changed: bool = False  # pods went away or claims came: pods refused before may fit now
    # Bytes injected onto a node's disk beside what its volumes really hold: how a test fills a node.
    disk_fill: dict[str, int] = field(default_factory=dict)
    # Nodes marked unschedulable (``kubectl cordon``): the scheduler places no new pod there.
    cordoned: list[str] = field(default_factory=list)
    # The replicas the platform's own Deployments ask for, by service (one not named: 1), as an admin scaled them.
    platform: dict[str, int] = field(default_factory=dict)


STATE = TypeAdapter(ClusterState)


@dataclass
class ClusterGlobals:
    """The part of :class:`ClusterState` that belongs to no release."""

    config: SimConfig
    clock: float
    serial: int
    dirty: list[str]
    unsettled: bool
    capacity_changed: bool
    disk_fill: dict[str, int] = field(default_factory=dict)
    cordoned: list[str] = field(default_factory=list)
    platform: dict[str, int] = field(default_factory=dict)


@dataclass
class ReleasePart:
    """Everything the cluster holds for the releases of one name (one per namespace, usually one),
    saved and restored on its own: a change to a release rewrites its part only."""

    releases: dict[str, ReleaseRecord] = field(default_factory=dict)
    objects: dict[str, StoredObject] = field(default_factory=dict)
    workloads: dict[str, WorkloadState] = field(default_factory=dict)
    pods: dict[str, Pod] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)


def release_key(namespace: str, release: str) -> str:
    return f"{namespace}/{release}"
