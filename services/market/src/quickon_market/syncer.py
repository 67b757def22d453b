"""The syncer: reads repositories that are due, applies their index, keeps the read model current.

Handlers only record that a sync is wanted; the syncer does the slow part (network, parsing)
outside any consumer's transaction, then writes the result and its events in one transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prometheus_client import Histogram
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from quickon_common.contracts.market import AppVersionAdded, CatalogSynced, RepositoryFailed
from quickon_common.outbox import Outbox
from quickon_common.tasks import woken

from .catalog import Catalog
from .egress import Egress
from .index import BadIndex, parse_index
from .models import Repository, SyncWaiter
from .settings import MarketSettings
from .sources import RepositorySource, SourceError
from .sync import SyncResult, apply_index, load_versions, views

log = logging.getLogger(__name__)

SYNC_SECONDS = Histogram(
    "quickon_market_sync_seconds", "Time to sync one repository", buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60)
)


class Syncer:
    """Keeps the catalog in step with the repositories."""

    def __init__(
        self, outbox: Outbox, catalog: Catalog, settings: MarketSettings, *, leads: Callable[[], bool] = lambda: True
    ) -> None:
        self.outbox = outbox
        # Whether this replica leads the market: only the leader refreshes repositories on schedule (every
        # replica syncs one whose refresh was asked of it, and reloads its own read model).
        self.leads = leads
        self.catalog = catalog
        self.settings = settings
        self.egress = Egress.of(settings)
        self._wake = asyncio.Event()
        # One sync at a time: the schedule, a refresh and a publish may all ask at once, and
        # two parses of one index would only compete for the same CPU and rows.
        self._syncing = asyncio.Lock()

    def wake(self) -> None:
        """Look for due work now."""
        self._wake.set()

    async def run(self) -> None:
        """Load what the database has, then sync what is due, reload what changed, and wait; never raises.

        The catalog counts as loaded once every repository has been read: at once on a restart (from
        the database), after the first pass on a first start or when a repository was never read."""
        while True:
            self._wake.clear()
            try:
                if not self.catalog.loaded:
                    await self.reload()
                    self.catalog.loaded = all(r.checked_at is not None for r in await self._repositories())
                await self.pass_once()
                # A replica that does not lead has the catalog once the leader read every repository.
                self.catalog.loaded = self.leads() or all(r.checked_at is not None for r in await self._repositories())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("market sync pass failed; trying again shortly")
            await woken(self._wake, min(30.0, self.settings.refresh_interval_s))

    async def pass_once(self) -> None:
        """Sync every due repository, then make the read model match the database."""
        now = datetime.now(UTC)
        stale_before = now - timedelta(seconds=self.settings.refresh_interval_s)
        leads = self.leads()
        for repository in await self._repositories():
            checked = _aware(repository.checked_at)
            stale = checked is None or checked < stale_before
            if repository.refresh_wanted > repository.refresh_done or (leads and stale):
                await self.sync(repository.name)
        await self.reload()

    async def _repositories(self) -> list[Repository]:
        async with self.outbox.db.read_session() as session:
            return list((await session.exec(select(Repository))).all())

    async def reload(self) -> None:
        """Load into memory the repositories whose versions changed in the database."""
        repositories = {r.name: r for r in await self._repositories()}
        for name in set(self.catalog.generations) - set(repositories):
            self.catalog.drop_repository(name)
        for name, repository in repositories.items():
            if self.catalog.generations.get(name) != repository.generation:
                async with self.outbox.db.read_session() as session:
                    self.catalog.replace_repository(name, repository.generation, await load_versions(session, name))

    async def sync(self, name: str, *, requested: bool = False) -> SyncResult | None:
        """Read one repository and apply it; a failure is recorded and announced, not raised."""
        async with self._syncing:
            return await self._sync(name, requested=requested)

    async def _sync(self, name: str, *, requested: bool) -> SyncResult | None:
        async with self.outbox.db.read_session() as session:
            repository = await session.get(Repository, name)
        if repository is None:
            return None
        wanted = repository.refresh_wanted
        requested = requested or wanted > repository.refresh_done
        with SYNC_SECONDS.time():
            try:
                source = RepositorySource.parse(repository.url)
                data = await source.index(max_bytes=self.settings.max_index_bytes, egress=self.egress)
                digest = hashlib.sha256(data).hexdigest()
                if digest == repository.index_digest and not requested and repository.status == "ok":
                    return await self._unchanged(name)
                versions = await asyncio.to_thread(parse_index, data, max_bytes=self.settings.max_index_bytes)
            except (SourceError, BadIndex) as error:
                await self._failed(name, wanted, str(error))
                return None
            return await self._apply(name, wanted, digest, versions, announce=requested)

    async def _unchanged(self, name: str) -> SyncResult:
        async with self.outbox.begin() as uow:
            repository = await uow.session.get(Repository, name)
            if repository:
                repository.synced_at = repository.checked_at = datetime.now(UTC)
                uow.session.add(repository)
        return SyncResult()

    async def _apply(self, name: str, wanted: int, digest: str, versions: list, *, announce: bool) -> SyncResult | None:  # type: ignore[type-arg]
        now = datetime.now(UTC)
        async with self.outbox.begin(actor="market") as uow:
            repository = await uow.session.get(Repository, name)
            if repository is None:  # removed while we read it
                return None
            first = repository.synced_at is None
            result = await apply_index(uow.session, repository=name, versions=versions, now=now)
            repository.status, repository.last_error, repository.index_digest = "ok", None, digest
            repository.synced_at = repository.checked_at = now
            repository.refresh_done = max(repository.refresh_done, wanted)
            if result.changed:
                repository.generation += 1
            uow.session.add(repository)
            waiting = await _served(uow.session, name, wanted)
            if result.changed or announce or first or waiting:
                for operation_id in waiting or [None]:
                    uow.emit(
                        CatalogSynced(
                            repository=name, added=len(result.added), updated=result.updated,
                            removed=result.removed, total_versions=result.total, operation_id=operation_id,
                        ),
                        subject=f"repositories/{name}",
                    )  # fmt: skip
            if not first:  # a first import would announce every version; CatalogSynced says it all
                for record in result.added[: self.settings.version_added_events_max]:
                    uow.emit(
                        AppVersionAdded(
                            repository=name, app=record.name, version=record.version, app_version=record.app_version,
                            contains_security_updates=record.metadata.get("annotations", {}).get(
                                "artifacthub.io/containsSecurityUpdates") == "true",
                        ),
                        subject=f"apps/{name}/{record.name}",
                    )  # fmt: skip
            generation = repository.generation
        if result.changed or self.catalog.generations.get(name) != generation:
            self.catalog.replace_repository(name, generation, views(name, versions))
        log.info(
            "synced %s: %d added, %d updated, %d removed, %d versions",
            name, len(result.added), result.updated, result.removed, result.total,
        )  # fmt: skip
        return result

    async def _failed(self, name: str, wanted: int, reason: str) -> None:
        log.warning("repository %s failed, keeping its last good catalog: %s", name, reason)
        async with self.outbox.begin(actor="market") as uow:
            repository = await uow.session.get(Repository, name)
            if repository is None:
                return
            repository.status, repository.last_error = "failed", reason
            repository.refresh_done = max(repository.refresh_done, wanted)
            repository.checked_at = datetime.now(UTC)  # tried now: the next try waits its turn
            uow.session.add(repository)
            for operation_id in await _served(uow.session, name, wanted) or [None]:
                uow.emit(
                    RepositoryFailed(repository=name, reason=reason, step="sync", operation_id=operation_id),
                    subject=f"repositories/{name}",
                )


async def _served(session: AsyncSession, repository: str, wanted: int) -> list[str | None]:
    """The operations this sync (which read refresh ``wanted``) answers; they wait no more."""
    query = select(SyncWaiter).where(SyncWaiter.repository == repository, SyncWaiter.wanted <= wanted)
    waiters = list((await session.exec(query.order_by(SyncWaiter.wanted))).all())  # type: ignore[arg-type]
    for waiter in waiters:
        await session.delete(waiter)
    return [w.operation_id for w in waiters]  # empty: the outcome is nobody's operation


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment
