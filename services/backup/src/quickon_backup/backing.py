"""The steps of a backup (source, copy, manifest, prune), a verification and a deletion; each idempotent.

A backup's parts are put on record in the job's plan as each lands in the store, so a backup resumed
after a crash copies only what is missing. The manifest is written last: until it is in the store the
backup does not exist for anyone reading it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from quickon_common.db import Database
from quickon_common.objectstore import ObjectStore

from .adapters.deployer import Deployer
from .adapters.tarstream import Digest, VolumeChanged, tar_directory
from .domain import Manifest, Part, PartKind, Release, manifest_key, part_key
from .jobs import Job, StepFailed
from .models import BackupRecord, ScheduleRecord
from .plans import BackupPlan, Volume
from .retention import Kept, Policy, to_prune
from .settings import BackupSettings
from .stored import delete_backup, read_manifest, store_errors, verify_part

log = logging.getLogger(__name__)


class BackupSteps:
    """What backup, verify and delete steps share: the store, the deployer, the database."""

    def __init__(self, *, store: ObjectStore, deployer: Deployer, db: Database, settings: BackupSettings) -> None:
        self.store = store
        self.deployer = deployer
        self.db = db
        self.settings = settings

    # -- backup ---------------------------------------------------------------------------------

    async def source(self, job: Job) -> None:
        """Ask the deployer for the release and its volumes; store the release and its rendered objects."""
        record = job.record
        found = await self.deployer.source(namespace=record.namespace, service=record.service)
        async with self.db.read_session() as session:
            backup = await session.get(BackupRecord, record.backup_id)
        asking = backup.team if backup else None
        if found.team != asking:  # checked again here: a request cannot cross teams even from inside
            raise StepFailed(
                f"{record.service} in {record.namespace} belongs to team {found.team!r}, not to {asking!r}, "
                "which asked for this backup; ask as a member of its team"
            )
        # A service without volumes is backed up as its release and objects, on any runtime; data the
        # runtime cannot copy is refused rather than silently left out of a backup someone will trust.
        if uncopied := [v.claim for v in found.volumes if not v.path]:
            raise StepFailed(
                f"{record.service} keeps data in {', '.join(uncopied)}, which the {found.runtime} runtime "
                "cannot copy yet (a Job per volume streaming to the store is not built); nothing was stored"
            )
        release = Release(
            app=found.app, version=found.version, repository=found.repository, revision=found.revision,
            values=found.values, sealed_secrets=found.sealed_secrets, secret_paths=found.secret_paths,
        )  # fmt: skip
        plan: BackupPlan = job.plan
        volumes = [Volume(claim=v.claim, path=v.path) for v in found.volumes if v.path]  # all, by the check above
        parts = {p.name: p for p in plan.parts}
        for name, kind, body in (("release", "release", release.model_dump(mode="json")),
                                 ("manifests", "manifests", found.manifests)):  # fmt: skip
            if name not in parts:
                parts[name] = await self._put_json(job, kind, name, body)  # type: ignore[arg-type]
        job.plan = plan.model_copy(
            update={"release": release, "runtime": found.runtime, "volumes": volumes, "parts": list(parts.values())}
        )

    async def copy(self, job: Job) -> None:
        """Stream each volume's directory as a tar into the store, hashed on the way."""
        record = job.record
        plan: BackupPlan = job.plan
        done = {p.name for p in plan.parts}
        for volume in plan.volumes:
            claim = volume.claim
            if claim in done:
                continue
            path = Path(volume.path)
            if not await asyncio.to_thread(path.is_dir):
                raise StepFailed(
                    f"volume {claim} of {record.service} is gone ({path} does not exist); nothing was kept"
                )
            key = part_key(record.namespace, record.service, record.backup_id, "volume", claim)
            digest = Digest()
            try:
                with store_errors(f"storing volume {claim}"):
                    await self.store.put(key, digest.tap(tar_directory(path, chunk_size=self.settings.chunk_size)))
            except VolumeChanged as changed:
                raise StepFailed(f"volume {claim} changed during the copy: {changed}; back it up again") from None
            part = Part(name=claim, kind="volume", key=key, size=digest.size, sha256=digest.hexdigest)
            job.plan = plan = plan.model_copy(update={"parts": [*plan.parts, part]})
            await job.note(f"volume {claim}: {digest.size} bytes")

    async def manifest(self, job: Job) -> None:
        """Write the manifest: from now on the backup exists."""
        record, plan = job.record, job.plan
        assert isinstance(plan, BackupPlan) and plan.release is not None and plan.runtime is not None  # by source
        manifest = Manifest(
            backup_id=record.backup_id, service=record.service, namespace=record.namespace, trigger=plan.trigger,
            created_at=record.created_at, runtime=plan.runtime, release=plan.release, parts=plan.parts,
        )  # fmt: skip
        key = manifest_key(record.namespace, record.service, record.backup_id)
        with store_errors("writing the manifest"):
            await self.store.put_bytes(key, manifest.model_dump_json(indent=1).encode())
        job.plan = plan.model_copy(update={"size": manifest.size_bytes, "location": f"{self.store.location}/{key}"})

    async def prune(self, job: Job) -> None:
        """Remove the backups the service's retention no longer keeps (this one counted in)."""
        record = job.record
        async with self.db.read_session() as session:
            schedule = (
                await session.exec(
                    select(ScheduleRecord).where(
                        ScheduleRecord.namespace == record.namespace, ScheduleRecord.service == record.service
                    )
                )
            ).first()
            if schedule is None:
                return
            job.plan = job.plan.model_copy(update={"drill": schedule.drill and job.plan.trigger == "schedule"})
            completed = (
                await session.exec(
                    select(BackupRecord).where(
                        BackupRecord.namespace == record.namespace, BackupRecord.service == record.service,
                        col(BackupRecord.status) == "completed",
                    )
                )
            ).all()  # fmt: skip
        policy = Policy(schedule.keep_last, schedule.keep_daily, schedule.keep_weekly, schedule.keep_monthly)
        backups = [Kept(b.id, _aware(b.created_at)) for b in completed if b.id != record.backup_id]
        backups.append(Kept(record.backup_id, _aware(record.created_at)))
        gone = [b for b in to_prune(backups, policy, timezone=schedule.timezone) if b != record.backup_id]
        pruned = []
        for backup_id in gone:
            try:
                await delete_backup(self.store, namespace=record.namespace, service=record.service, backup_id=backup_id)
            except StepFailed as failed:  # this backup is good: the next one prunes what is left
                log.warning("retention of %s: %s", record.service, failed.reason)
                break
            pruned.append(backup_id)
        job.plan = job.plan.model_copy(update={"pruned": pruned})

    async def discard(self, job: Job) -> None:
        """Undo a failed backup: none of its objects stay."""
        record = job.record
        await delete_backup(self.store, namespace=record.namespace, service=record.service, backup_id=record.backup_id)

    # -- verify and delete --------------------------------------------------------------------

    async def verify(self, job: Job) -> None:
        """Read every part back and check its size and SHA-256 against the manifest."""
        record = job.record
        manifest = await read_manifest(
            self.store, namespace=record.namespace, service=record.service, backup_id=record.backup_id
        )
        for part in manifest.parts:
            await verify_part(self.store, part, chunk_size=self.settings.chunk_size)
        job.plan = job.plan.model_copy(update={"parts_checked": len(manifest.parts)})

    async def delete(self, job: Job) -> None:
        record = job.record
        objects = await delete_backup(
            self.store, namespace=record.namespace, service=record.service, backup_id=record.backup_id
        )
        job.plan = job.plan.model_copy(update={"objects": objects})

    async def _put_json(self, job: Job, kind: PartKind, name: str, body: Any) -> Part:
        record = job.record
        data = json.dumps(body, sort_keys=True, indent=1).encode()
        key = part_key(record.namespace, record.service, record.backup_id, kind, name)
        with store_errors(f"storing the {name}"):
            await self.store.put_bytes(key, data)
        return Part(
            name=name, kind=kind, key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest(), format="json"
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
