"""The deployer's queries (``qc.query.deployer.<name>``): services, operations, the upgrade preview, what a
backup needs, the cluster's resources, and the sim runtime's admin calls."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..exposure import Exposure
from .base import Caller, NoRequest, QueryReply, QueryRequest, query
from .market import ScanResult

# -- requests -------------------------------------------------------------------------------


class ServiceOverviewRequest(QueryRequest):
    newest: int = Field(default=10, ge=0, le=100, description="how many of the most recently changed to list")
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class ServicesRequest(QueryRequest):
    namespace: str | None = None
    team: str | None = None
    status: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class ServiceRequest(QueryRequest):
    namespace: str = "default"
    service: str = Field(min_length=1, max_length=63)
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class OperationsRequest(QueryRequest):
    namespace: str | None = None
    service: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class OperationRequest(QueryRequest):
    operation_id: str = Field(min_length=1, max_length=64)
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class PreviewRequest(ServiceRequest):
    version: str | None = Field(default=None, max_length=128, description="the target; the current one if omitted")
    values: dict[str, Any] = Field(default_factory=dict)
    reuse_values: bool = True


class InjectRequest(ServiceRequest):
    kind: str = Field(description="Deployment, StatefulSet, ...")
    name: str = Field(description="the workload's name")
    failure: str | None = Field(default=None, description="image-pull-error, crash-loop, never-ready; null clears")
    count: int | None = Field(default=None, ge=1, description="only the next N pods it creates")


class FillDiskRequest(QueryRequest):
    node: str = Field(min_length=1, max_length=253, description="the simulated node, as the nodes query names it")
    size_bytes: int = Field(ge=0, le=2**60, description="bytes put on its disk beside its volumes; 0 takes them away")


class NodesRequest(QueryRequest):
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); a platform admin only")


class NodeRequest(NodesRequest):
    node: str = Field(min_length=1, max_length=253, description="the node's name")


class ComponentsRequest(QueryRequest):
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); a platform admin only")


# -- replies --------------------------------------------------------------------------------


class ServiceSummary(QueryReply):
    service: str
    namespace: str
    team: str | None = None
    app: str
    repository: str | None = None
    version: str | None = None
    status: str
    status_reason: str | None = None
    revision: int | None = None
    operation_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class ServiceList(QueryReply):
    services: list[ServiceSummary]


class ServiceOverview(QueryReply):
    """What a dashboard shows of the services a caller may see, whatever their number."""

    total: int
    by_status: dict[str, int]
    newest: list[ServiceSummary] = Field(description="the most recently changed, newest first")


class Revision(QueryReply):
    revision: int
    version: str | None = None
    operation: str | None = None
    outcome: str | None = None
    manifest_digest: str | None = None
    description: str | None = None
    actor: str | None = None
    created_at: str | None = None


class Operation(QueryReply):
    """An operation (saga) on a service, as the deployer records it."""

    operation_id: str
    kind: str
    service: str
    namespace: str
    state: str = Field(description="running, compensating, completed or failed")
    step: str
    steps: list[dict[str, Any]]
    error: str | None = None
    deadline: str
    created_at: str
    finished_at: str | None = None
    revision: int | None = Field(default=None, description="the release revision it made, once it has")
    version: str | None = Field(default=None, description="the chart version it deploys (install, upgrade)")


class Operations(QueryReply):
    operations: list[Operation]


class ServiceDetail(ServiceSummary):
    values: dict[str, Any] = Field(
        default={}, description="the values given, each secret one masked (GET …/secrets reveals them)"
    )
    secret_values: list[str] = Field(default=[], description="the paths of the secret values given (sealed)")
    health: dict[str, Any] | str | None = Field(default=None, description="live, from the runtime; a string: unknown")
    revisions: list[Revision] = []
    operation: Operation | None = Field(default=None, description="the operation running on it, if any")
    exposure: Exposure = Field(default_factory=Exposure, description="its domains and protection, as set")
    urls: list[str] = Field(default=[], description="where it answers, the primary address first")
    web: str | None = Field(
        default=None, description="its web entry (Service:port) the Ingress routes to; none: it has no web page"
    )


class ChangelogEntry(QueryReply):
    version: str
    changes: list[Any] = []


class Preview(QueryReply):
    service: str
    namespace: str
    app: str
    from_version: str | None = None
    to_version: str | None = None
    changelog: list[ChangelogEntry] = []
    breaking: bool | None = None
    values_valid: bool | None = None
    values_errors: list[Any] = []
    values_diff: Any = None
    manifest_diff: Any = Field(default=None, description="null when the values do not fit")


class ServiceScan(ScanResult):
    """The security scan (Trivy's misconfiguration checks) of the manifests a service's revision deployed."""

    service: str
    namespace: str
    revision: int | None = Field(default=None, description="the deployed revision whose manifests it is about")
    manifest_digest: str | None = Field(default=None, description="a report is kept per manifest digest")
    state: str = Field(
        description="done, failed (error says why), scanning (ask again shortly) or off (the operator turned "
        "service scans off: QC_DEPLOYER_SCAN_SERVICES)"
    )


class Volume(QueryReply):
    claim: str
    size: str | None = None
    path: str | None = Field(
        description="the directory holding the claim's data (sim); null where the runtime cannot copy volumes"
    )
    owner: str | None = None


class BackupSource(QueryReply):
    """The release as recorded (secret values still sealed), its rendered objects and its volumes."""

    service: str
    namespace: str
    team: str | None = Field(default=None, description="the team the service belongs to")
    app: str
    repository: str | None = None
    version: str
    revision: int
    status: str
    operation_id: str | None = None
    values: dict[str, Any] = {}
    sealed_secrets: str | None = None
    secret_paths: list[str] = []
    manifests: list[dict[str, Any]] = []
    runtime: str
    volumes: list[Volume] = []
    exposure: dict[str, Any] = Field(default={}, description="its domains and protection (contracts.exposure.Exposure)")
    exposure_secrets: str | None = Field(
        default=None, description="sealed: uploaded keys, self-signed certificates and basic-auth hashes"
    )


class SealedSecrets(QueryReply):
    """A service's secret values, still sealed (under the platform key): only the gateway's reveal opens them."""

    service: str
    namespace: str
    team: str | None = None
    sealed: str | None = Field(default=None, description="the secret values, sealed; null when there are none")
    secret_paths: list[str] = Field(default=[], description="the paths of the secret values")


class Injected(QueryReply):
    injected: str | None
    workload: str


class DiskFilled(QueryReply):
    node: str
    size_bytes: int


class NodeCondition(QueryReply):
    type: str = Field(description="Ready, MemoryPressure, DiskPressure, PIDPressure...")
    status: str = Field(description="True, False or Unknown")
    reason: str = ""
    message: str = ""


class NodeTaint(QueryReply):
    key: str
    effect: str = Field(description="NoSchedule, PreferNoSchedule or NoExecute")
    value: str = ""


class NodePod(QueryReply):
    namespace: str
    name: str
    owner: str = Field(description="Kind/name of its controller; empty for none")
    phase: str = Field(description="Pending, Running, Succeeded, Failed, or Terminating")
    ready: bool
    cpu_requested_m: int = 0
    memory_requested_bytes: int = 0


class NodeSummary(QueryReply):
    """A node as ``kubectl describe node`` shows it (requests are what its pods ask for, not live use)."""

    name: str
    ready: bool
    unschedulable: bool = Field(description="cordoned: the scheduler places no new pod there")
    cpu_capacity_m: int
    memory_capacity_bytes: int
    pods_capacity: int
    cpu_allocatable_m: int
    memory_allocatable_bytes: int
    pods_allocatable: int
    cpu_requested_m: int
    memory_requested_bytes: int
    pod_count: int
    kubelet_version: str
    labels: dict[str, str] = {}
    conditions: list[NodeCondition] = []
    taints: list[NodeTaint] = []
    created_at: float | None = None
    operation_id: str | None = Field(default=None, description="the cordon, uncordon or drain running on it")


class NodeDetail(NodeSummary):
    pods: list[NodePod] = Field(default=[], description="the pods bound to it")


class Nodes(QueryReply):
    runtime: str
    nodes: list[NodeSummary]


class ComponentReplicas(QueryReply):
    component: str = Field(description="the platform service: gateway, market, deployer, backup, monitor, audit")
    replicas: int = Field(description="the replicas its Deployment asks for")
    operation_id: str | None = Field(default=None, description="the scale of it running now")


class Components(QueryReply):
    """The replicas the platform's own Deployments ask for (a component the cluster has no Deployment of is not
    listed)."""

    runtime: str
    components: list[ComponentReplicas]


class NodeResources(QueryReply):
    name: str
    ready: bool
    cpu_m: int = Field(description="allocatable CPU, in millicores")
    memory_bytes: int = Field(description="allocatable memory")
    cpu_requested_m: int = Field(description="what the pods bound to it request")
    memory_requested_bytes: int
    pods: int


class Resources(QueryReply):
    """The cluster's capacity against what is requested (as the scheduler counts), not live usage."""

    runtime: str
    nodes: list[NodeResources]
    storage_requested_bytes: int = Field(description="what the volume claims ask for")
    storage_capacity_bytes: int | None = Field(description="null where the runtime cannot tell")


SERVICES = query("deployer", "services", ServicesRequest, ServiceList, "The installed services, by namespace and name")
SERVICE_OVERVIEW = query(
    "deployer", "service_overview", ServiceOverviewRequest, ServiceOverview,
    "The services counted by status, and the most recently changed",
)  # fmt: skip
SERVICE = query(
    "deployer", "service", ServiceRequest, ServiceDetail, "One service: record, live health, revisions, operation"
)
OPERATIONS = query("deployer", "operations", OperationsRequest, Operations, "The newest operations, newest first")
OPERATION = query("deployer", "operation", OperationRequest, Operation, "One operation and its steps")
PREVIEW = query(
    "deployer", "preview", PreviewRequest, Preview, "What an upgrade would change: changelog, values, objects"
)
BACKUP_SOURCE = query(
    "deployer", "backup_source", ServiceRequest, BackupSource, "What the backup service needs to back a service up"
)
SEALED_SECRETS = query(
    "deployer", "sealed_secrets", ServiceRequest, SealedSecrets,
    "A service's secret values, sealed under the platform key, for the gateway's audited reveal",
)  # fmt: skip
SERVICE_SCAN = query(
    "deployer", "service_scan", ServiceRequest, ServiceScan,
    "The security scan of a service's deployed manifests (Trivy misconfiguration checks)",
)  # fmt: skip
INJECT = query(
    "deployer", "inject", InjectRequest, Injected, "Sim runtime only: make a workload's pods fail, or heal them"
)
RESOURCES = query(
    "deployer", "resources", NoRequest, Resources, "The cluster's nodes, CPU, memory and storage: capacity and requests"
)
FILL_DISK = query(
    "deployer", "fill_disk", FillDiskRequest, DiskFilled,
    "Sim runtime only: fill a simulated node's disk (its exporter's node_filesystem_avail_bytes drops)",
)  # fmt: skip
NODES = query(
    "deployer", "nodes", NodesRequest, Nodes,
    "The cluster's nodes: capacity, allocatable, requests, conditions, taints, cordoned (platform admins)",
)  # fmt: skip
NODE = query("deployer", "node", NodeRequest, NodeDetail, "One node of the cluster with its pods (platform admins)")
COMPONENTS = query(
    "deployer", "components", ComponentsRequest, Components,
    "The replicas each of the platform's own services' Deployment asks for (platform admins)",
)  # fmt: skip
