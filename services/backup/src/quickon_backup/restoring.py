"""The steps of a restore, in place or as a new service, and of putting things back when one fails.

Data is staged first: every volume is streamed from the store and extracted beside its claim's
directory, its hash checked, while the service still runs. Its stop is asked when about
``stop_ahead_s`` of staging is left, so that the stop (a round trip through the deployer, seconds on a
cluster) overlaps the end of the staging rather than following it; the service is down at most that
much longer. Until the store's first bytes show this restore's pace, the pace of the last staging
stands for it (else a slow one): a restore that will take less than ``stop_ahead_s`` asks at once,
rather than a store's first-byte latency later. Once both are done each staged directory is swapped
in, the live data kept aside until the restore has succeeded. A failure swaps the data back, sets the
revision back, starts the service again (in place) or removes the new service (as new), and removes
what was staged: the service's data is left as it was, and the service running if it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import TypeVar

from quickon_common.contracts.asks import (
    RestoreInstallAsked,
    RestoreRollbackAsked,
    RestoreStartAsked,
    RestoreStopAsked,
    RestoreUninstallAsked,
)
from quickon_common.contracts.queries.deployer import BackupSource
from quickon_common.contracts.queries.deployer import Volume as SourceVolume
from quickon_common.objectstore import ObjectStore

from .adapters.deployer import Deployer, NoSuchService
from .adapters.tarstream import ArchiveInvalid, Digest, extract_tar, tar_directory
from .domain import Manifest, match_volumes
from .jobs import Job, StepFailed
from .plans import RestorePlan
from .settings import BackupSettings
from .stored import checked, read_manifest
from .waiting import DeployerOperations

RUNNING = ("running", "degraded")
TRASH = ".qc-trash-"  # a finished restore's leftovers, renamed so (see RestoreSteps.finish) until removed
A = TypeVar("A")
B = TypeVar("B")


class RestoreSteps:
    """What restore steps share: the store, the deployer's queries and operations."""

    def __init__(
        self, *, store: ObjectStore, deployer: Deployer, operations: DeployerOperations, settings: BackupSettings
    ) -> None:
        self.store = store
        self.deployer = deployer
        self.operations = operations
        self.settings = settings
        # Bytes a second of the last staging that streamed a whole part (its first bytes' wait included, as
        # the next restore will wait too); None until one did.
        self.pace: float | None = None
        self._removals: set[asyncio.Future[None]] = set()  # trash being removed (held: a task needs a reference)

    # -- forward --------------------------------------------------------------------------------

    async def check(self, job: Job) -> None:
        """Read the manifest; the target must exist (in place, and be idle) or not exist (as new). The
        manifest and the deployer's answer are asked at once: each is a round trip on a restore's path."""
        record = job.record
        target = record.target or record.service
        in_place = target == record.service
        manifest, found = await _both(
            read_manifest(self.store, namespace=record.namespace, service=record.service, backup_id=record.backup_id),
            self._target_found(record.namespace, target, in_place=in_place, backup_id=record.backup_id),
        )
        job.plan = plan = _plan(job).model_copy(update={"target": target, "in_place": in_place, "manifest": manifest})
        if found is None:
            return
        if found.operation_id and not plan.data_only:  # data only: the deployer's own request
            raise StepFailed(f"{target} is busy with operation {found.operation_id}; try when it has finished")
        job.plan = plan.model_copy(update={"previous_revision": found.revision, "previous_status": found.status})
        self._map(job, manifest, found.volumes)

    async def _target_found(
        self, namespace: str, target: str, *, in_place: bool, backup_id: str
    ) -> BackupSource | None:
        """In place: the service to restore into, which must exist. As new: None, once sure no service
        has the new name."""
        if in_place:
            try:
                return await self.deployer.source(namespace=namespace, service=target)
            except NoSuchService:
                raise StepFailed(
                    f"there is no service {target!r} in {namespace!r} to restore into; "
                    f"restore the backup as a new service instead (qc restore {backup_id} --as NAME)"
                ) from None
        if await self.deployer.exists(namespace=namespace, service=target):
            raise StepFailed(
                f"a service named {target!r} exists in {namespace!r} already; pick another name, "
                "or restore in place into it"
            )
        return None

    async def install(self, job: Job) -> None:
        """As new: install the backup's release (app, version, values, sealed secrets) under the new name."""
        plan = _plan(job)
        if plan.in_place:
            return
        record, release, target = job.record, _manifest(job).release, _target(job)
        await self.operations.run(
            job, "install",
            lambda op: RestoreInstallAsked(
                service=target, namespace=record.namespace, app=release.app, version=release.version,
                repository=release.repository, values=release.values, sealed_values=release.sealed_secrets,
                operation_id=op,
            ),
            what=f"install {target} from {release.app} {release.version}", until=_until(job),
        )  # fmt: skip
        job.plan = _plan(job).model_copy(update={"installed": True})

    async def locate(self, job: Job) -> None:
        """As new: the new service's volumes, matched with the backup's."""
        if _plan(job).in_place:
            return
        found = await self.deployer.source(namespace=job.record.namespace, service=_target(job))
        self._map(job, _manifest(job), found.volumes)

    async def stage(self, job: Job) -> None:
        """Stream every volume from the store into a directory beside its claim's, checking its hash; ask
        for the stop when about ``stop_ahead_s`` of it is left (see the module's docstring)."""
        parts = _manifest(job).volumes()
        request, what = self._stopping(job)
        ask_stop = None if _plan(job).data_only else (lambda: self.operations.ask(job, "stop", request, what=what))
        ahead = _Ahead(
            sum(part.size for part in parts), seconds=self.settings.stop_ahead_s, then=ask_stop,
            slow_pace=max(self.settings.stop_ahead_pace_mb_s * 1e6, self.pace or 0),
        )  # fmt: skip
        try:
            for part in parts:
                if await asyncio.to_thread(self._aside(job, part.name).exists):
                    continue  # swapped in by a run cut short after this step: it was staged whole and checked
                staging = self._staging(job, part.name)
                await asyncio.to_thread(
                    shutil.rmtree, staging, ignore_errors=True
                )  # a try cut short by a crash starts afresh
                chunks = ahead.watch(checked(self.store, part, chunk_size=self.settings.chunk_size))
                begun = time.monotonic()
                try:
                    await extract_tar(chunks, staging)
                except ArchiveInvalid as invalid:
                    raise StepFailed(f"part {part.name} ({part.key}) cannot be restored: {invalid}") from None
                if part.size:
                    self.pace = part.size / max(time.monotonic() - begun, 1e-3)
        finally:
            await ahead.settled()  # a stop asked is on record before the step ends, however it ends

    async def stop(self, job: Job) -> None:
        """Wait for the stop ``stage`` asked for (ask it now if it did not)."""
        if _plan(job).data_only:  # the deployer stopped it, and starts it
            return
        request, what = self._stopping(job)
        await self.operations.run(job, "stop", request, what=what, until=_until(job))

    def _stopping(self, job: Job) -> tuple[Callable[[str], RestoreStopAsked], str]:
        """The stop's request (given its operation id) and what it does, as ``stage`` and ``stop`` ask it."""
        target = _target(job)
        return (
            lambda op: RestoreStopAsked(service=target, namespace=job.record.namespace, operation_id=op),
            f"stop {target}",
        )

    async def swap(self, job: Job) -> None:
        """Each claim's live directory goes aside, the staged one takes its place (renames, same disk). A run
        resumed after a crash here stages again only what was not set aside, and renames what is not yet."""
        for claim, live in _plan(job).mapping.items():
            staging, aside = self._staging(job, claim), self._aside(job, claim)
            await asyncio.to_thread(_swap_in, live=Path(live), staging=staging, aside=aside)

    async def revision(self, job: Job) -> None:
        """In place: set the release to the backup's revision (a rollback), when it runs another."""
        plan, wanted, target = _plan(job), _manifest(job).release.revision, _target(job)
        if not plan.in_place or plan.data_only or wanted == plan.previous_revision:
            return
        await self.operations.run(
            job, "revision",
            lambda op: RestoreRollbackAsked(service=target, namespace=job.record.namespace, revision=wanted,
                                            operation_id=op),
            what=f"set {target} to revision {wanted}", until=_until(job),
        )  # fmt: skip
        job.plan = _plan(job).model_copy(update={"revision_set": True})

    async def start(self, job: Job) -> None:
        if _plan(job).data_only:
            return
        target = _target(job)
        await self.operations.run(
            job, "start",
            lambda op: RestoreStartAsked(service=target, namespace=job.record.namespace, operation_id=op),
            what=f"start {target}", until=_until(job),
        )  # fmt: skip

    def finish(self, job: Job) -> list[Path]:
        """After success: the data kept aside and what is left staged are renamed out of the way, in the
        outcome's transaction (a rename is quick; a run resumed before that committed renames what is
        left). Returns the trash they became, to :meth:`remove_trash_later` once the outcome has committed:
        removing a volume's files takes long (on a disk mounted with ``discard``, ~20 ms for 64 MB and
        0.3 s for 1 GB), and neither the outcome nor every other task of the event loop should wait for it."""
        trash = []
        for root in self._roots(job):
            # A name of its own: a run resumed after this transaction failed to commit renames again, beside
            # the trash of the first (which the removal sweeps up).
            gone = root.with_name(f"{TRASH}{secrets.token_hex(4)}-{root.name.removeprefix('.qc-')}")
            with contextlib.suppress(FileNotFoundError):
                os.rename(root, gone)
            trash.append(gone)
        return trash

    def remove_trash_later(self, trash: list[Path]) -> None:
        """Remove ``trash`` (from :meth:`finish`) in a thread, off the event loop and the restore's path."""
        removal = asyncio.ensure_future(self.remove_trash(trash))
        self._removals.add(removal)
        removal.add_done_callback(self._removals.discard)

    async def remove_trash(self, trash: list[Path]) -> None:
        """Remove ``trash``, and any trash beside it that a process stopped before removing its own left."""
        await asyncio.to_thread(_remove_trash, trash)

    async def compare(self, job: Job) -> None:
        """A drill: the throwaway service's volumes, archived again, are byte for byte the backup's parts."""
        for part in _manifest(job).volumes():
            digest = Digest()
            live = Path(_plan(job).mapping[part.name])
            async for _chunk in digest.tap(tar_directory(live, chunk_size=self.settings.chunk_size)):
                pass
            if (digest.size, digest.hexdigest) != (part.size, part.sha256):
                raise StepFailed(
                    f"the drill's copy of volume {part.name} differs from the backup ({digest.size} bytes, SHA-256 "
                    f"{digest.hexdigest[:16]}…; the backup has {part.size} bytes, {part.sha256[:16]}…)"
                )
        job.plan = _plan(job).model_copy(update={"parts_checked": len(_manifest(job).parts)})

    async def discard(self, job: Job) -> None:
        """A drill's throwaway service goes, volumes and all."""
        target = _target(job)
        await self.operations.run(
            job, "discard",
            lambda op: RestoreUninstallAsked(service=target, namespace=job.record.namespace, operation_id=op),
            what=f"remove the drill's service {target}", until=_until(job),
        )  # fmt: skip
        job.plan = _plan(job).model_copy(update={"installed": False})

    # -- compensation -----------------------------------------------------------------------------

    async def unswap(self, job: Job) -> None:
        """Put every claim's former data back where it was."""
        for claim, live_path in _plan(job).mapping.items():
            await asyncio.to_thread(_swap_back, live=Path(live_path), aside=self._aside(job, claim))

    async def revert(self, job: Job) -> None:
        plan, target = _plan(job), _target(job)
        if not plan.revision_set or plan.previous_revision is None:
            return
        previous = plan.previous_revision
        await self.operations.run(
            job, "revert",
            lambda op: RestoreRollbackAsked(
                service=target, namespace=job.record.namespace, revision=previous, operation_id=op,
            ),
            what=f"set {target} back to revision {previous}", until=_until(job, undo=True),
        )  # fmt: skip

    async def restart(self, job: Job) -> None:
        plan, target = _plan(job), _target(job)
        if not (plan.in_place and plan.previous_status in RUNNING and self.operations.asked(job, "stop")):
            return
        # The stop may have been asked while staging and still be under way: the start waits for its end.
        _, what = self._stopping(job)
        if not (await self.operations.outcome(job, "stop", what=what, until=_until(job, undo=True))).succeeded:
            return  # the deployer did not stop it
        await self.operations.run(
            job, "restart",
            lambda op: RestoreStartAsked(service=target, namespace=job.record.namespace, operation_id=op),
            what=f"start {target} again", until=_until(job, undo=True),
        )  # fmt: skip

    async def remove(self, job: Job) -> None:
        """As new: the service this restore installed goes again, volumes and all."""
        plan, target = _plan(job), _target(job)
        if plan.in_place or not plan.installed:
            return
        await self.operations.run(
            job, "remove",
            lambda op: RestoreUninstallAsked(service=target, namespace=job.record.namespace, operation_id=op),
            what=f"remove {target}", until=_until(job, undo=True),
        )  # fmt: skip

    async def clean(self, job: Job) -> None:
        """Remove what was staged (the data set aside was put back by ``unswap``)."""
        for root in self._roots(job):
            if root.name.startswith(".qc-restore-"):
                await asyncio.to_thread(shutil.rmtree, root, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------

    def _map(self, job: Job, manifest: Manifest, volumes: list[SourceVolume]) -> None:
        target = _target(job)
        paths = {v.claim: v.path for v in volumes if v.path}  # a claim the runtime cannot copy receives nothing
        wanted = [p.name for p in manifest.volumes()]
        source = _plan(job).source_service or job.record.service
        found = match_volumes(backup=wanted, source=source, target=list(paths), release=target)
        missing = [claim for claim in wanted if claim not in found]
        if missing:
            raise StepFailed(
                f"{target} has no volume to receive {', '.join(missing)} from the backup "
                f"(its volumes: {', '.join(paths) or 'none'}); nothing was changed"
            )
        job.plan = _plan(job).model_copy(update={"mapping": {claim: paths[found[claim]] for claim in wanted}})

    def _staging(self, job: Job, claim: str) -> Path:
        live = Path(_plan(job).mapping[claim])
        return live.parent / f".qc-restore-{job.record.id[-12:]}" / live.name

    def _aside(self, job: Job, claim: str) -> Path:
        live = Path(_plan(job).mapping[claim])
        return live.parent / f".qc-aside-{job.record.id[-12:]}" / live.name

    def _roots(self, job: Job) -> list[Path]:
        return sorted(
            {self._staging(job, c).parent for c in _plan(job).mapping}
            | {self._aside(job, c).parent for c in _plan(job).mapping}
        )


class _Ahead:
    """Starts ``then`` once the bytes left of ``total`` should take ``seconds`` or less to stream at the
    pace seen so far (never, if ``then`` is None); at once when ``slow_pace`` (bytes a second: a slow one,
    or the last staging's) would stream them all in ``seconds``, since the store's first bytes can take
    longer than such a restore has to wait. It runs beside the stream, which goes on meanwhile (a
    transaction while the disk takes the extracted data can be slow); :meth:`settled` waits for it."""

    def __init__(
        self, total: int, *, seconds: float, then: Callable[[], Awaitable[None]] | None, slow_pace: float
    ) -> None:
        self.left, self.seconds, self.then = total, seconds, then
        self.done, self.begun = 0, time.monotonic()
        self.running: asyncio.Future[None] | None = None
        if total <= seconds * slow_pace:
            self._start()

    async def watch(self, chunks: AsyncGenerator[bytes, None]) -> AsyncIterator[bytes]:
        async with aclosing(chunks):  # closed with this one: its stream is released at once
            async for chunk in chunks:
                # Judged before the chunk goes on: the stop's first transaction starts before its bytes are written.
                self.done, self.left = self.done + len(chunk), self.left - len(chunk)
                if self.left * (time.monotonic() - self.begun) <= self.seconds * self.done:
                    self._start()
                yield chunk

    def _start(self) -> None:
        if self.then is not None:
            self.running, self.then = asyncio.ensure_future(self.then()), None

    async def settled(self) -> None:
        if self.running is not None:
            await self.running


def _swap_in(*, live: Path, staging: Path, aside: Path) -> None:
    """Live data aside, staged data in; safe to repeat after a crash between the two renames."""
    if live.exists() and not aside.exists():
        aside.parent.mkdir(parents=True, exist_ok=True)
        os.rename(live, aside)
    if staging.exists():
        os.rename(staging, live)


def _remove_trash(trash: list[Path]) -> None:
    for path in trash:
        shutil.rmtree(path, ignore_errors=True)
    for parent in {path.parent for path in trash}:  # leftovers of a process stopped while removing them
        with contextlib.suppress(OSError):
            for left in parent.iterdir():
                if left.name.startswith(TRASH):
                    shutil.rmtree(left, ignore_errors=True)


def _swap_back(*, live: Path, aside: Path) -> None:
    if aside.exists():
        shutil.rmtree(live, ignore_errors=True)
        os.rename(aside, live)


async def _both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Both awaited at once; when either fails, the first one's failure is raised (after both ended)."""
    one, two = await asyncio.gather(first, second, return_exceptions=True)
    for outcome in (one, two):
        if isinstance(outcome, BaseException):
            raise outcome
    return one, two  # type: ignore[return-value]


def _plan(job: Job) -> RestorePlan:
    plan: RestorePlan = job.plan
    return plan


def _target(job: Job) -> str:
    """The service the restore goes into (known once ``check`` ran)."""
    return _plan(job).target or job.record.target or job.record.service


def _manifest(job: Job) -> Manifest:
    manifest = _plan(job).manifest
    if manifest is None:  # check reads it first; a job without it has a bug
        raise StepFailed(f"job {job.record.id} has no manifest on record; restore the backup again")
    return manifest


def _until(job: Job, *, undo: bool = False) -> float:
    if undo and job.compensation_deadline is not None:
        return job.compensation_deadline
    return job.deadline
