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
    target: str | None = None  # by check
    in_place: bool = False
    manifest: Manifest | None = None
    previous_revision: int | None = None
    previous_status: str | None = None
    mapping: dict[str, str] = {}  # the backup's claim -> the target's volume directory
    installed: bool = False
    revision_set: bool = False
    parts_checked: int = 0  # a drill's


PLANS: dict[str, type[Plan]] = {
    "backup": BackupPlan, "verify": VerifyPlan, "delete": DeletePlan, "restore": RestorePlan, "drill": RestorePlan,
}  # fmt: skip
