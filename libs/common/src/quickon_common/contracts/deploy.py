"""Deploy context: installed services and the operations on them (owned by the deployer)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import secret
from .common import Failure, OperationEvent, Success

# The longest soak an upgrade may ask for: an hour of watching alerts before it counts as done.
SOAK_MAX_S = 3600

# A security finding's severity, as Trivy grades it.
FindingSeverity = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]

ServiceStatus = Literal[
    "installing", "running", "degraded", "stopped", "upgrading", "rolling_back", "failed", "uninstalling"
]


class ServiceEvent(OperationEvent):
    """An event about one installed service, named uniquely within its namespace."""

    service: str
    namespace: str = "default"


class ValuesChange(ServiceEvent):
    """User values; the secret ones travel only sealed (encrypted by the gateway).

    A request the gateway checked is pinned: ``digest`` (the sha256 of the chart package it checked, with
    the request's repository and version) and ``secret_paths`` (the paths sealed apart, by
    ``quickon_common.sealing.secret_paths_of``). The deployer installs exactly that package and keeps the
    values as split here, asking the market nothing; an unpinned request is resolved by the deployer.
    """

    values: dict[str, Any] = Field(default_factory=dict)
    sealed_values: str | None = secret(default=None)
    digest: str | None = Field(default=None, description="sha256 of the chart package checked; none: not pinned")
    secret_paths: list[str] | None = Field(default=None, description="the dotted paths of the values sealed apart")
    # The platform's scan policy as the gateway applied it to this request: the deployer trusts no other.
    scan_blocks: list[FindingSeverity] = Field(
        default_factory=list,
        description="findings of these severities in the rendered manifests fail the operation at its scan step",
    )
    scan_warns: list[FindingSeverity] = Field(
        default_factory=list, description="findings of these severities are named in the scan step's detail"
    )
    scan_override: bool = Field(
        default=False, description="a platform admin chose to go on whatever the scan finds (audited with it)"
    )


class AppInstallRequested(ValuesChange):
    subject = "qc.deploy.install.requested"
    app: str
    version: str | None = None
    repository: str | None = None


class AppInstallStarted(ServiceEvent):
    subject = "qc.deploy.install.started"
    app: str
    version: str


class AppInstalled(ServiceEvent, Success):
    subject = "qc.deploy.install.completed"
    app: str
    version: str
    revision: int


class AppInstallFailed(ServiceEvent, Failure):
    subject = "qc.deploy.install.failed"


class AppUpgradeRequested(ValuesChange):
    subject = "qc.deploy.upgrade.requested"
    version: str | None = None
    repository: str | None = None  # pinned with version and digest; the service's own repository
    reuse_values: bool = True
    backup_first: bool = True
    # With backup_first: if the upgrade fails and is rolled back, the data comes back from that backup too.
    restore_data_on_failure: bool = False
    soak_seconds: int = Field(
        default=0, ge=0, le=SOAK_MAX_S,
        description="once the new revision is ready, watch the service's alerts this long; one that fires "
        "rolls the upgrade back (0: no soak)",
    )  # fmt: skip


class AppUpgradeStarted(ServiceEvent):
    subject = "qc.deploy.upgrade.started"
    from_version: str
    to_version: str


class AppUpgraded(ServiceEvent, Success):
    subject = "qc.deploy.upgrade.completed"
    from_version: str
    to_version: str
    revision: int


class AppUpgradeFailed(ServiceEvent, Failure):
    subject = "qc.deploy.upgrade.failed"
    rolled_back: bool = False
    alert: str | None = Field(default=None, description="the rule of the alert that failed the soak, if one did")
    alert_id: str | None = Field(default=None, description="that alert's id (GET /api/v1/alerts/{id})")


class AppRollbackRequested(ServiceEvent):
    subject = "qc.deploy.rollback.requested"
    revision: int | None = None


class AppRolledBack(ServiceEvent, Success):
    subject = "qc.deploy.rollback.completed"
    to_revision: int
    revision: int


class AppRollbackFailed(ServiceEvent, Failure):
    subject = "qc.deploy.rollback.failed"


class ServiceStartRequested(ServiceEvent):
    subject = "qc.deploy.start.requested"


class ServiceStarted(ServiceEvent, Success):
    subject = "qc.deploy.start.completed"


class ServiceStartFailed(ServiceEvent, Failure):
    subject = "qc.deploy.start.failed"


class ServiceStopRequested(ServiceEvent):
    subject = "qc.deploy.stop.requested"


class ServiceStopped(ServiceEvent, Success):
    subject = "qc.deploy.stop.completed"


class ServiceStopFailed(ServiceEvent, Failure):
    subject = "qc.deploy.stop.failed"


class ServiceRestartRequested(ServiceEvent):
    subject = "qc.deploy.restart.requested"


class ServiceRestarted(ServiceEvent, Success):
    subject = "qc.deploy.restart.completed"


class ServiceRestartFailed(ServiceEvent, Failure):
    subject = "qc.deploy.restart.failed"


class AppUninstallRequested(ServiceEvent):
    subject = "qc.deploy.uninstall.requested"
    keep_volumes: bool = False


class AppUninstalled(ServiceEvent, Success):
    subject = "qc.deploy.uninstall.completed"
    volumes_kept: bool


class AppUninstallFailed(ServiceEvent, Failure):
    subject = "qc.deploy.uninstall.failed"


class ServiceScanWorsened(ServiceEvent):
    """A scheduled rescan of a service's unchanged manifests found HIGH or CRITICAL findings the scan before did
    not (a newer Trivy knows more checks); the monitor raises an alert on it."""

    subject = "qc.deploy.scan.worsened"
    revision: int
    worst: FindingSeverity
    findings: list[str] = Field(description="each new finding: its check, title, severity and object")


class SagaStepRecorded(ServiceEvent):
    """Progress of a long operation, for live displays (``qc install --wait``)."""

    subject = "qc.deploy.saga.step"
    operation: str
    step: str
    state: Literal["started", "progress", "completed", "failed", "compensated"]
    detail: str | None = None


class ServiceStatusChanged(ServiceEvent):
    subject = "qc.deploy.service.status_changed"
    status: ServiceStatus
    previous: ServiceStatus | None = None
    reason: str | None = None


# -- Nodes of the cluster: a platform admin's maintenance (cordon, uncordon, drain) --------------------

NODE_NAME_MAX = 253  # a node's name is a DNS subdomain


class NodeEvent(OperationEvent):
    """An event about one node of the cluster the deployer's runtime drives (platform admins only)."""

    node: str = Field(min_length=1, max_length=NODE_NAME_MAX)


class NodeCordonRequested(NodeEvent):
    subject = "qc.deploy.node_cordon.requested"


class NodeCordoned(NodeEvent, Success):
    """The node is unschedulable: the scheduler places no new pod there (what runs on it stays)."""

    subject = "qc.deploy.node_cordon.completed"


class NodeCordonFailed(NodeEvent, Failure):
    subject = "qc.deploy.node_cordon.failed"


class NodeUncordonRequested(NodeEvent):
    subject = "qc.deploy.node_uncordon.requested"


class NodeUncordoned(NodeEvent, Success):
    """The node is schedulable again; pods waiting for room may be placed there now."""

    subject = "qc.deploy.node_uncordon.completed"


class NodeUncordonFailed(NodeEvent, Failure):
    subject = "qc.deploy.node_uncordon.failed"


class NodeDrainRequested(NodeEvent):
    subject = "qc.deploy.node_drain.requested"


class NodeDrained(NodeEvent, Success):
    """``kubectl drain --ignore-daemonsets`` done: the node is cordoned and the pods a controller makes again
    were evicted, one controller at a time. ``stuck`` names the controllers whose new pods could not start
    elsewhere and why (a pod whose local volume lives on this node stays Pending until it is uncordoned)."""

    subject = "qc.deploy.node_drain.completed"
    evicted: list[str] = Field(default_factory=list, description="the pods evicted, namespace/name")
    moved: list[str] = Field(default_factory=list, description="each controller moved: where its pods run now")
    stuck: list[str] = Field(default_factory=list, description="each controller whose pods could not move: why")
    kept: list[str] = Field(default_factory=list, description="the pods left on the node (DaemonSet, no controller)")


class NodeDrainFailed(NodeEvent, Failure):
    subject = "qc.deploy.node_drain.failed"


class NodeStepRecorded(NodeEvent):
    """Progress of an operation on a node, for live displays (``qc node drain --wait``)."""

    subject = "qc.deploy.node_step.recorded"
    operation: str
    step: str
    state: Literal["started", "progress", "completed", "failed", "compensated"]
    detail: str | None = None


# -- The platform's own components: a platform admin scales their Deployments -------------------------

# How many replicas a platform component may be asked to run: at least one (the platform stays up), at most 20.
COMPONENT_REPLICAS_MIN = 1
COMPONENT_REPLICAS_MAX = 20


class ComponentEvent(OperationEvent):
    """An event about one of the platform's own services (a component: gateway, deployer, ...)."""

    component: str = Field(min_length=1, max_length=53)


class ComponentScaleRequested(ComponentEvent):
    subject = "qc.deploy.component_scale.requested"
    replicas: int = Field(ge=COMPONENT_REPLICAS_MIN, le=COMPONENT_REPLICAS_MAX)


class ComponentScaled(ComponentEvent, Success):
    """The component's Deployment now asks for ``replicas`` (its pods follow as the cluster starts them)."""

    subject = "qc.deploy.component_scale.completed"
    replicas: int
    previous: int | None = Field(default=None, description="the replicas it asked for before")


class ComponentScaleFailed(ComponentEvent, Failure):
    subject = "qc.deploy.component_scale.failed"


class ComponentStepRecorded(ComponentEvent):
    """Progress of an operation on a platform component, for live displays (``qc platform scale --wait``)."""

    subject = "qc.deploy.component_step.recorded"
    operation: str
    step: str
    state: Literal["started", "progress", "completed", "failed", "compensated"]
    detail: str | None = None
