"""The plan of each kind of operation: what the request asked (secret values sealed), and what the steps
decided so far. Frozen models stored as JSON in the operation's ``plan``; a step makes a new one with
``model_copy(update=...)``. The field names are the keys the plans had as dicts, so operations written
by an earlier release still load (and resume)."""

from __future__ import annotations

from typing import Any

from quickon_common.saga import Plan


class DeployPlan(Plan):
    """What an install or an upgrade deploys: the chart asked for, then the one chosen and rendered."""

    app: str
    wanted_version: str | None = None
    repository: str | None = None
    request: str | None = None  # the user's values, sealed whole
    # Decided by resolve: the version, its chart's digest, the values without secrets, the secrets sealed.
    version: str | None = None
    digest: str | None = None
    values: dict[str, Any] = {}
    sealed: str | None = None
    secret_paths: list[str] = []
    # The scan policy the gateway applied to the request (see quickon_common.contracts.deploy.ValuesChange).
    scan_blocks: list[str] = []
    scan_warns: list[str] = []
    scan_override: bool = False
    manifest_digest: str | None = None  # by render
    web: str | None = None  # by render: the web entry (<Service>:<port>), none for a service without a web page
    revision: int | None = None  # by apply: the release's revision it made
    # By expose: the secrets behind the service's exposure (sealed; self-signed certificates made for its
    # default address), and where it answers.
    exposure_secrets: str | None = None
    urls: list[str] = []


class InstallPlan(DeployPlan):
    """An install's plan."""


class UpgradePlan(DeployPlan):
    """An upgrade's plan: what ran before it (to put back on failure), and its pre-upgrade backup."""

    previous_version: str
    previous_revision: int
    previous_status: str
    backup_first: bool = False
    restore_data: bool = False  # put the backup's data back if the upgrade fails
    backup_id: str | None = None
    backup_location: str | None = None
    rolled_back_revision: int | None = None  # the revision the failed upgrade was rolled back as
    data_restored: bool = False
    # The soak: how long the ready revision's alerts are watched, and the alert that failed it.
    soak_s: int = 0
    soak_alert: str | None = None
    soak_alert_id: str | None = None


class RollbackPlan(Plan):
    """A rollback's plan: the revision to bring back, then the revision that made."""

    target: int
    revision: int | None = None


class UninstallPlan(Plan):
    keep_volumes: bool = False


class ExposePlan(Plan):
    """A change of a service's domains and protection: the settings asked for (``Exposure`` as JSON) and the
    new secrets (sealed), then by the step the secrets kept and where the service answers."""

    exposure: dict[str, Any]
    sealed_keys: str | None = None
    sealed_passwords: str | None = None
    exposure_secrets: str | None = None
    urls: list[str] = []


class ScalePlan(Plan):
    """A start, stop or restart: nothing to plan."""


class NodePlan(Plan):
    """A cordon, uncordon or drain of a node; a drain records what it did as it goes."""

    node: str
    evicted: list[str] = []
    moved: list[str] = []
    stuck: list[str] = []
    kept: list[str] = []


# Operations on a node are recorded as operations on no service: this namespace, which no real one can be
# (a namespace is a DNS label of at least one character), and the node's name as the service's.
NODE_NAMESPACE = ""
NODE_KINDS = frozenset({"cordon_node", "uncordon_node", "drain_node"})


class ComponentPlan(Plan):
    """A scale of one of the platform's own services: the replicas asked for, then those it asked for before."""

    component: str
    replicas: int
    previous: int | None = None


# A scale of a platform component is an operation on no service either: the same empty namespace, the
# component's name as the service's; its kind tells it from a node's.
COMPONENT_NAMESPACE = NODE_NAMESPACE
COMPONENT_KINDS = frozenset({"scale_component"})

PLANS: dict[str, type[Plan]] = {
    "install": InstallPlan, "upgrade": UpgradePlan, "rollback": RollbackPlan, "uninstall": UninstallPlan,
    "start": ScalePlan, "stop": ScalePlan, "restart": ScalePlan, "expose": ExposePlan,
    "cordon_node": NodePlan, "uncordon_node": NodePlan, "drain_node": NodePlan, "scale_component": ComponentPlan,
}  # fmt: skip
