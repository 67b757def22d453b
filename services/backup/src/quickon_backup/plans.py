"""The plan of each kind of job: what the request asked, and what the steps learned so far. Frozen models
stored as JSON in the job's ``plan``; a step makes a new one with ``model_copy(update=...)``. The field
names are the keys the plans had as dicts, so jobs written by an earlier release still load (and resume)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from quickon_common.saga import Plan

from .domain import Manifest, Part, Release


class Volume(BaseModel):
    """A volume of the service, as the deployer reports it: its claim and its directory."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    claim: str
    path: str


class BackupPlan(Plan):
    """A backup: its trigger, then the release and volumes found, the parts stored, the manifest written."""

    trigger: str = "manual"
    release: Release | None = None  # by source
    runtime: str | None = None
    volumes: list[Volume] = []
    parts: list[Part] = []  # each as it lands in the store
    size: int = 0  # by manifest
    location: str | None = None
    drill: bool = False  # by prune: the schedule asks for a restore drill of this backup
    pruned: list[str] = []  # the backups retention removed


class VerifyPlan(Plan):
    """A verification: how many parts were read back and matched."""

    parts_checked: int = 0


class DeletePlan(Plan):
    """A deletion: how many objects it removed."""

    objects: int = 0


class RestorePlan(Plan):
    """A restore (or a drill, which verifies first and compares after): the target, the backup's manifest,
    how its volumes map onto the target's, and what was done so far (to undo on failure)."""

    data_only: bool = False
    source_service: str | None = None  # whose volumes the backup holds, when not the job's service (an import)
    target: str | None = None  # by check
    in_place: bool = False
    manifest: Manifest | None = None
    previous_revision: int | None = None
    previous_status: str | None = None
    mapping: dict[str, str] = {}  # the backup's claim -> the target's volume directory
    installed: bool = False
    revision_set: bool = False
    parts_checked: int = 0  # a drill's


class ExportPlan(BackupPlan):
    """An export: a backup (``quickon``; ``helm`` takes none), then the bundle made of it, in the blob bucket."""

    format: str = "quickon"
    team: str | None = None  # the team that asked (a helm export has no backup record to hold it)
    sealed_passphrase: str | None = None  # under the platform key, as the request carried it
    bundle: str | None = None  # by bundle: the SHA-256 naming it in the blob bucket
    bundle_size: int = 0
    filename: str | None = None


class ImportPlan(RestorePlan):
    """An import: the bundle (checked whole by fetch), its chart found or published, its data kept as a backup
    of the new service, then restored into it as a restore as new does, and its settings applied."""

    bundle: str = ""
    domains: bool = True
    sealed_passphrase: str | None = None  # under the platform key, as the request carried it
    app: str | None = None
    version: str | None = None
    repository: str | None = None  # by publish: where this QuickOn serves the chart
    stored: bool = False  # by store: the backup of the new service is complete
    exposed: bool = False


PLANS: dict[str, type[Plan]] = {
    "backup": BackupPlan, "verify": VerifyPlan, "delete": DeletePlan, "restore": RestorePlan, "drill": RestorePlan,
    "export": ExportPlan, "import": ImportPlan,
}  # fmt: skip
