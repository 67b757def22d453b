"""Scanning chart versions in the background, off every request's path, each package digest once.

Which versions, and when: a sync of 20,000 versions must not wait for 20,000 Trivy runs (over a second
each), nor queue them all. So the newest version of each app is scanned eagerly, through a bounded queue,
whenever a repository's versions change (a sync, a publish); any other version is scanned the first time
somebody asks for its report, ahead of the eager ones. A report is kept per (repository, app, version,
digest): an unchanged version is never scanned again and a warm ask is one database read.

One scan at a time per replica: Trivy uses a core while it runs, and the market answers queries too.
Two replicas may both scan a version nobody had scanned; the second write replaces the first, the same.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import col, select

from quickon_common.db import Database
from quickon_common.helm import HelmError
from quickon_common.tasks import woken
from quickon_common.trivy import TrivyError

from .catalog import Catalog, VersionView
from .charts import ChartError
from .models import ChartScan, Repository
from .scanning import ChartNotScannable, scan_package
from .settings import MarketSettings
from .sources import SourceError
from .store import ChartStore

log = logging.getLogger(__name__)

Key = tuple[str, str, str, str]  # repository, app, version, digest
ASKED, EAGER = 0, 1  # queue priorities: somebody waiting goes first
FEED_INTERVAL_S = 10.0


def key_of(version: VersionView) -> Key:
    return version.repository, version.app, version.version, version.digest


class Scanner:
    """The market's scan queue and its one worker."""

    def __init__(
        self, db: Database, catalog: Catalog, store: ChartStore, settings: MarketSettings, cache_dir: Path
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.store = store
        self.settings = settings
        self.cache_dir = cache_dir
        self._queue: asyncio.PriorityQueue[tuple[int, int, Key, VersionView]] = asyncio.PriorityQueue()
        self._order = itertools.count()
        self._waiting: dict[Key, asyncio.Future[None]] = {}  # queued or being scanned
        self._done: set[Key] = set()  # reports in the database
        self._errors: dict[Key, str] = {}  # why the last try failed, for the next one who asks
        self._fed: dict[str, int] = {}
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the catalog now (a publish): its newest versions may want scanning."""
        self._wake.set()

    async def load(self) -> None:
        """Know which versions have a report already (once, at start)."""
        async with self.db.read_session() as session:
            rows = await session.exec(select(ChartScan.repository, ChartScan.app, ChartScan.version, ChartScan.digest))
            self._done = {tuple(row) for row in rows.all()}  # type: ignore[misc]

    async def feed(self) -> None:
        """Queue the newest version of every app each time the catalog's repositories change; never raises."""
        while True:
            self._wake.clear()
            if self.catalog.generations != self._fed:
                self._fed = dict(self.catalog.generations)
                for app in self.catalog.all_apps():
                    self.enqueue(app.latest, EAGER)
            await woken(self._wake, FEED_INTERVAL_S)

    async def work(self) -> None:
        """Scan what is queued, most wanted first; never raises."""
        while True:
            _, _, key, version = await self._queue.get()
            try:
                if key not in self._done:
                    await self._scan(key, version)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a database hiccup: said to whoever asks, tried again on the next ask
                log.exception("scan of %s %s failed", version.app, version.version)
                self._errors[key] = f"the scan failed: {error}"
            finally:
                waiting = self._waiting.pop(key, None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(None)

    def enqueue(self, version: VersionView, priority: int) -> asyncio.Future[None] | None:
        """Queue ``version`` unless it has a report; what resolves once its scan ended (None: not queued)."""
        key = key_of(version)
        if key in self._done:
            return None
        waiting = self._waiting.get(key)
        if waiting is not None and priority == EAGER:
            return waiting
        if waiting is None and priority == EAGER and self._queue.qsize() >= self.settings.scan_queue_max:
            return None  # scanned when somebody asks
        # Asked while queued eagerly: queued again in front (the worker skips the second of the two).
        self._queue.put_nowait((priority, next(self._order), key, version))
        return self._waiting.setdefault(key, asyncio.get_running_loop().create_future())

    async def report(self, version: VersionView) -> ChartScan | None:
        """The kept report of ``version``'s package, if it was scanned."""
        async with self.db.read_session() as session:
            return await session.get(ChartScan, key_of(version))

    async def ask(self, version: VersionView, *, wait_s: float) -> ChartScan | None:
        """The report, scanning first if need be and waiting up to ``wait_s`` for it (None: still scanning).

        :class:`ScanUnavailable` when the last try failed for a reason that is not the chart's (a tool
        missing, the repository unreachable): asked again, it is tried again."""
        found = await self.report(version)
        if found is not None:
            return found
        error = self._errors.pop(key_of(version), None)
        if error is not None:
            raise ScanUnavailable(error)
        waiting = self.enqueue(version, ASKED)
        if waiting is not None:
            try:
                async with asyncio.timeout(wait_s):
                    await asyncio.shield(waiting)
            except TimeoutError:
                return None
        found = await self.report(version)
        if found is None and (error := self._errors.pop(key_of(version), None)):
            raise ScanUnavailable(error)
        return found

    async def _scan(self, key: Key, version: VersionView) -> None:
        async with self.db.read_session() as session:
            repository = await session.get(Repository, version.repository)
        if repository is None:
            return  # removed since: nothing to report on
        state, report, error = "done", {}, None
        try:
            data = await self.store.package(version, repository.url)
            report = await scan_package(
                data, release=version.app, cache_dir=self.cache_dir, timeout_s=self.settings.scan_timeout_s
            )
        except ChartNotScannable as refused:
            state, error = "failed", str(refused)
        except (ChartError, SourceError) as unreadable:
            self._errors[key] = f"cannot read {version.app} {version.version}: {unreadable}"
            return
        except (TrivyError, HelmError) as missing:
            self._errors[key] = str(missing)
            return
        await self._keep(key, state=state, report=report, error=error)
        log.info("scanned %s %s: %s", version.app, version.version, report.get("counts") or error)

    async def _keep(self, key: Key, *, state: str, report: dict[str, object], error: str | None) -> None:
        repository, app, version, digest = key
        async with self.db.session() as session:
            # The version's report for another package is stale: its package changed in the repository.
            stale = delete(ChartScan).where(
                col(ChartScan.repository) == repository, col(ChartScan.app) == app,
                col(ChartScan.version) == version, col(ChartScan.digest) != digest,
            )  # fmt: skip
            await session.exec(stale)
            scan = ChartScan(
                repository=repository, app=app, version=version, digest=digest, state=state, report=report,
                error=error, scanned_at=datetime.now(UTC),
            )  # fmt: skip
            await session.merge(scan)
            await session.commit()
        self._done.add(key)


class ScanUnavailable(Exception):
    """The scan could not run for a reason that is not the chart's; the message says which."""
