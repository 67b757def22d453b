"""The steps of an export (a bundle made of a fresh backup, or plain Helm) and of an import (a bundle
checked whole, its chart published where missing, its data kept as a backup of the new service, then
restored into it as a restore as new is, and its settings applied).

Bundles cross the bus through the blob bucket (``quickon_common.blobs``): the gateway downloads what an
export put there and puts there what a user uploads. On this side a bundle is a file in the service's
work directory while it is written or read, removed once the job ends.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError

from quickon_common.blobs import BlobCorrupt, BlobMissing, Blobs
from quickon_common.contracts.asks import RestoreExposeAsked
from quickon_common.contracts.exposure import Exposure
from quickon_common.objectstore import ObjectStore
from quickon_common.sealing import Sealer, SealError

from .adapters.deployer import Deployer, Market, NoSuchService
from .bundle import (
    CHART,
    RELEASE,
    SETTINGS,
    BundleInvalid,
    BundleWriter,
    Content,
    Member,
    Opened,
    Secrets,
    Source,
    helm_archive,
    open_bundle,
    write_volume,
)
from .domain import Manifest, Part, Release, manifest_key, part_key
from .jobs import Job, StepFailed, TryLater
from .plans import ExportPlan, ImportPlan
from .settings import BackupSettings
from .stored import checked, delete_backup, store_errors
from .waiting import DeployerOperations


class Bundles:
    """What export and import steps share: the store, the deployer, the market, the blob bucket, the
    platform's sealer and the directory bundles are written and read in."""

    def __init__(
        self, *, store: ObjectStore, deployer: Deployer, market: Market, blobs: Callable[[], Blobs], sealer: Sealer,
        operations: DeployerOperations, settings: BackupSettings, work_dir: Path,
    ) -> None:  # fmt: skip
        self.store, self.deployer, self.market, self.blobs = store, deployer, market, blobs
        self.sealer, self.operations, self.settings, self.work_dir = sealer, operations, settings, work_dir
        self._opened: dict[str, Opened] = {}  # an import's bundle, checked, by job id (a resumed run checks again)
        self._removals: set[asyncio.Future[None]] = set()  # bundle files being removed (a task needs a reference)

    # -- export -------------------------------------------------------------------------------------

    async def release(self, job: Job) -> None:
        """A Helm export: the release as recorded (no backup: neither data nor secrets go into it)."""
        record, plan = job.record, _export(job)
        found = await self.deployer.source(namespace=record.namespace, service=record.service)
        if found.team != plan.team:  # checked here: a request cannot cross teams even from inside
            raise StepFailed(
                f"{record.service} in {record.namespace} belongs to team {found.team!r}, not to {plan.team!r}, "
                "which asked for this export; ask as a member of its team"
            )
        release = Release(
            app=found.app, version=found.version, repository=found.repository, revision=found.revision,
            values=found.values, secret_paths=found.secret_paths,
        )  # fmt: skip
        job.plan = plan.model_copy(update={"release": release, "runtime": found.runtime})

    async def bundle(self, job: Job) -> None:
        """Make the bundle (or the Helm archive) and put it into the blob bucket."""
        record, plan = job.record, _export(job)
        if plan.bundle is not None:
            return
        release = plan.release
        assert release is not None  # by source or release
        chart = await self._chart(release)
        path = self.work_dir / f"export-{record.backup_id}{'.tgz' if plan.format == 'helm' else '.qcb'}"
        try:
            if plan.format == "helm":
                archive = helm_archive(
                    chart_name=f"{release.app.rsplit('/', 1)[-1]}-{release.version}.tgz", chart=chart,
                    values=release.values, left_out=release.secret_paths,
                )  # fmt: skip
                await asyncio.to_thread(_write, path, archive)
                filename = f"{record.service}-helm.tgz"
            else:
                await self._write_bundle(job, path, chart)
                filename = f"{record.service}-{release.version}.qcb"
            size = (await asyncio.to_thread(path.stat)).st_size
            digest = await _to_bus(self.blobs().put_file(path), "keeping the bundle in the bus's blob bucket")
        except OSError as error:
            raise StepFailed(f"cannot write the bundle in {self.work_dir}: {error}; free space there") from None
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)
        job.plan = plan.model_copy(update={"bundle": digest, "bundle_size": size, "filename": filename})
        await job.note(f"bundle {filename}: {size} bytes, SHA-256 {digest}")

    async def _chart(self, release: Release) -> bytes:
        """The release's chart package, as the market serves it, checked against its digest."""
        try:
            chart = await self.market.chart(
                app=release.app, version=release.version, repository=release.repository, package=True
            )
        except NoSuchService as missing:
            raise StepFailed(
                f"the market no longer has {release.app} {release.version} ({missing.reason}); a bundle needs its "
                "chart: add its repository back, or upgrade the service to a version the market has"
            ) from None
        package = base64.b64decode(chart.chart or "")
        if hashlib.sha256(package).hexdigest() != chart.digest:
            raise TryLater(f"the chart package of {release.app} {release.version} arrived damaged")
        return package

    async def _write_bundle(self, job: Job, path: Path, chart: bytes) -> None:
        record, plan = job.record, _export(job)
        release = plan.release
        assert release is not None and plan.runtime is not None  # by source
        found = await self.deployer.source(namespace=record.namespace, service=record.service)
        try:
            passphrase = str(self.sealer.open(plan.sealed_passphrase).get("passphrase") or "")
            values = self.sealer.open(release.sealed_secrets)
            kept = self.sealer.open(found.exposure_secrets)
        except SealError as error:
            raise StepFailed(f"cannot open the service's sealed secrets: {error}") from None
        if not passphrase:
            raise StepFailed("an export needs a passphrase; give one (qc export NAME -o FILE)")
        source = Source(
            service=record.service, namespace=record.namespace, team=plan.team, app=release.app,
            version=release.version, repository=release.repository, revision=release.revision, runtime=plan.runtime,
        )  # fmt: skip
        volumes = [p for p in plan.parts if p.kind == "volume"]
        content = Content(
            source=source, chart=chart,
            release={"values": release.values, "secret_paths": release.secret_paths},
            settings=found.exposure or Exposure().model_dump(mode="json"),
            volumes=[Member(name=f"volumes/{p.name}.tar", size=p.size, sha256=p.sha256) for p in volumes],
            secrets=Secrets(values=values, keys=dict(kept.get("uploaded") or {}),
                            passwords=dict(kept.get("passwords") or {})),
        )  # fmt: skip
        writer = await asyncio.to_thread(BundleWriter, content, passphrase, now=datetime.now(UTC))
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        with path.open("wb") as file:
            await asyncio.to_thread(writer.begin, file)
            for part, member in zip(volumes, content.volumes, strict=True):
                chunks = checked(self.store, part, chunk_size=self.settings.chunk_size)
                await write_volume(file, writer, member, chunks)
            await asyncio.to_thread(file.write, writer.end())

    # -- import -------------------------------------------------------------------------------------

    async def fetch(self, job: Job) -> None:
        """Bring the bundle from the blob bucket and check it whole, before anything is installed."""
        opened = await self.opened(job)
        plan, source = _import(job), opened.manifest.source
        job.plan = plan.model_copy(
            update={"source_service": source.service, "app": source.app, "version": source.version}
        )
        await job.note(f"bundle of {source.service} ({source.app} {source.version}) checked whole")

    async def opened(self, job: Job) -> Opened:
        """The import's bundle, checked; fetched and checked again by a run resumed after a restart."""
        if (opened := self._opened.get(job.record.id)) is not None:
            return opened
        plan, path = _import(job), self._import_path(job)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        try:
            await _to_bus(self.blobs().get_file(plan.bundle, path), "fetching the uploaded bundle")
        except BlobMissing:
            raise StepFailed("the uploaded bundle is no longer on the bus (kept a day); upload it again") from None
        except BlobCorrupt as error:
            raise StepFailed(f"the uploaded bundle arrived damaged ({error}); upload it again") from None
        except OSError as error:
            raise StepFailed(f"cannot keep the bundle in {self.work_dir}: {error}; free space there") from None
        try:
            passphrase = str(self.sealer.open(plan.sealed_passphrase).get("passphrase") or "")
        except SealError as error:
            raise StepFailed(f"cannot open the passphrase the gateway sealed: {error}") from None
        try:
            opened = await asyncio.to_thread(open_bundle, path, passphrase)
        except BundleInvalid as invalid:
            raise StepFailed(f"{invalid}; nothing was installed") from None
        self._opened[job.record.id] = opened
        return opened

    async def check(self, job: Job) -> None:
        """The new name must be free."""
        record = job.record
        if await self.deployer.exists(namespace=record.namespace, service=record.service):
            raise StepFailed(
                f"a service named {record.service!r} exists in {record.namespace!r} already; import under another "
                "name (qc import FILE --name OTHER)"
            )
        job.plan = _import(job).model_copy(update={"target": record.service, "in_place": False})

    async def publish(self, job: Job) -> None:
        """Find the bundle's chart version in this market (the same package), or publish it."""
        plan, opened = _import(job), await self.opened(job)
        source = opened.manifest.source
        package = opened.read(CHART)
        digest = hashlib.sha256(package).hexdigest()
        for repository in dict.fromkeys((source.repository, None)):
            try:
                chart = await self.market.chart(
                    app=source.app.rsplit("/", 1)[-1] if repository is None else source.app, version=source.version,
                    repository=repository, package=False,
                )  # fmt: skip
            except NoSuchService:
                continue
            if chart.digest != digest:
                raise StepFailed(
                    f"{chart.repository}/{chart.app} {source.version} in this market is another package than the "
                    f"bundle's (SHA-256 {chart.digest[:16]}…, the bundle's {digest[:16]}…); nothing was installed"
                )
            job.plan = plan.model_copy(update={"repository": chart.repository})
            return
        published = await self.market.publish(package)
        job.plan = plan.model_copy(update={"repository": published.repository})
        await job.note(f"published {published.app} {published.version} to {published.repository}")

    async def keep(self, job: Job) -> None:
        """Keep the bundle's data as a backup of the new service, so a restore as new takes it from there."""
        record, plan, opened = job.record, _import(job), await self.opened(job)
        if plan.stored:
            return
        source = opened.manifest.source
        release_json, secrets = opened.json(RELEASE), opened.secrets
        release = Release(
            app=source.app, version=source.version, repository=plan.repository, revision=1,
            values=dict(release_json.get("values") or {}), sealed_secrets=self.sealer.seal(secrets.values),
            secret_paths=list(release_json.get("secret_paths") or []),
        )  # fmt: skip
        parts = [await self._put_release(job, release)]
        for claim, member in opened.volumes().items():
            key = part_key(record.namespace, record.service, record.backup_id, "volume", claim)
            with store_errors(f"storing volume {claim}"):
                await self.store.put(key, _section(opened, member, self.settings.chunk_size))
            parts.append(Part(name=claim, kind="volume", key=key, size=member.size, sha256=member.sha256))
        manifest = Manifest(
            backup_id=record.backup_id, service=record.service, namespace=record.namespace, trigger="import",
            created_at=record.created_at, runtime=source.runtime, release=release, parts=parts,
            notes=[f"imported from a bundle of {source.service} ({source.namespace}), exported "
                   f"{opened.manifest.created_at.isoformat()}"],
        )  # fmt: skip
        with store_errors("writing the manifest"):
            key = manifest_key(record.namespace, record.service, record.backup_id)
            await self.store.put_bytes(key, manifest.model_dump_json(indent=1).encode())
        job.plan = plan.model_copy(update={"manifest": manifest, "stored": True})

    async def _put_release(self, job: Job, release: Release) -> Part:
        record = job.record
        data = json.dumps(release.model_dump(mode="json"), sort_keys=True, indent=1).encode()
        key = part_key(record.namespace, record.service, record.backup_id, "release", "release")
        with store_errors("storing the release"):
            await self.store.put_bytes(key, data)
        return Part(
            name="release", kind="release", key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
            format="json",
        )  # fmt: skip

    async def expose(self, job: Job) -> None:
        """Set the bundle's domains (unless left out), access rules and firewall on the new service."""
        record, plan, opened = job.record, _import(job), await self.opened(job)
        exposure = Exposure.model_validate(opened.json(SETTINGS))
        if not plan.domains:
            exposure = exposure.model_copy(update={"domains": []})
        if exposure == Exposure():
            return
        secrets = opened.secrets
        hosts = {d.host for d in exposure.domains if d.tls == "uploaded"}
        users = set(exposure.protection.access.basic_auth_users)
        keys = {host: key for host, key in secrets.keys.items() if host in hosts}
        passwords = {user: hashed for user, hashed in secrets.passwords.items() if user in users}
        await self.operations.run(
            job, "expose",
            lambda op: RestoreExposeAsked(
                service=record.service, namespace=record.namespace, exposure=exposure,
                sealed_keys=self.sealer.seal(keys), sealed_passwords=self.sealer.seal(passwords), operation_id=op,
            ),
            what=f"set the domains, access and firewall of {record.service}", until=job.deadline,
        )  # fmt: skip
        job.plan = _import(job).model_copy(update={"exposed": True})

    async def discard(self, job: Job) -> None:
        """Undo a failed import's backup of the new service: none of its objects stay."""
        record = job.record
        await delete_backup(self.store, namespace=record.namespace, service=record.service, backup_id=record.backup_id)

    def forget_later(self, job: Job) -> None:
        """The import has ended: its bundle file goes, in a thread (the blob expires on its own)."""
        self._opened.pop(job.record.id, None)
        removal = asyncio.ensure_future(asyncio.to_thread(self._import_path(job).unlink, missing_ok=True))
        self._removals.add(removal)
        removal.add_done_callback(self._removals.discard)

    def _import_path(self, job: Job) -> Path:
        return self.work_dir / f"import-{job.record.backup_id}.qcb"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def _section(opened: Opened, member: Member, chunk_size: int) -> AsyncIterator[bytes]:
    """A member's bytes, read from the bundle's file in chunks."""
    with opened.path.open("rb") as file:
        await asyncio.to_thread(file.seek, opened.offsets[member.name])
        left = member.size
        while left:
            chunk = await asyncio.to_thread(file.read, min(chunk_size, left))
            if not chunk:
                raise StepFailed(f"the bundle's file ended inside {member.name}; upload it again")
            left -= len(chunk)
            yield chunk


async def _to_bus(work: Any, doing: str) -> Any:
    """``work`` awaited; the bus's errors while ``doing`` become a try later."""
    try:
        return await work
    except (NatsError, JetStreamError, TimeoutError) as error:
        raise TryLater(f"the bus failed while {doing}: {error!r}") from None


def _export(job: Job) -> ExportPlan:
    plan: ExportPlan = job.plan
    return plan


def _import(job: Job) -> ImportPlan:
    plan: ImportPlan = job.plan
    return plan
