"""The ``sim`` runtime: the simulated cluster (``runtime/sim``) behind the :class:`Runtime` calls, with
Helm's part played here: revisions, their stored manifests, rollback to any of them.

The cluster outlives the deployer process as a real one would: every change is saved to
``<state_dir>/sim.db`` before the call returns, so a deployer killed mid-saga finds on restart
exactly what it had applied. A save rewrites only the releases the change touched (and their
revision histories), in one SQLite transaction; saves of concurrent changes are grouped into one.

Shared (``QC_DEPLOYER_SIM_SHARED``), several deployer processes (replicas) use one simulated cluster as
they would one real cluster: each call holds ``sim.lock`` (an exclusive file lock) and, when another process
saved since this one last looked (the store counts its saves), first reads the cluster again from the
store. What a call changes is saved before the lock goes. Time needs no lock: the cluster plays what is
due from its saved state, the same in every process.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import fcntl
import functools
import json
import math
import os
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from quickon_common.db import SQLITE_COMPANIONS
from quickon_common.files import owner_only_file

from .base import (
    PLATFORM_COMPONENTS,
    ClusterEvent,
    ClusterResources,
    Health,
    NodeResources,
    PodHealth,
    ReleaseNotFound,
    Revision,
    RuntimeFailure,
    WorkloadHealth,
    check_component_scale,
)
from .sim import Cluster, HookFailed, ManifestError, NotFoundError, SimConfig, default_nodes
from .sim.exposure import exposure_problem
from .sim.quantities import QuantityError
from .sim.volumes import disk_used
from .sim_nodes import _SimNodes

MIN_WAIT_S = 0.005
MAX_WAIT_S = 1.0
DISK_SCAN_S = 10.0  # how often the volumes' directories are measured again for the node disks' metrics


@dataclass
class StoredRevision:
    number: int
    status: str
    description: str
    chart_version: str
    manifests: list[dict[str, Any]]


class SimRuntime(_SimNodes):
    """A simulated cluster kept under ``state_dir``, its volumes as real directories there."""

    name = "sim"
    copies_volumes = True

    def __init__(
        self,
        state_dir: Path,
        config: SimConfig | None = None,
        *,
        disk_scan_s: float = DISK_SCAN_S,
        shared: bool = False,
    ) -> None:
        self.state_dir = state_dir
        self._config = config or SimConfig()
        # Shared with other processes: the file lock every call takes, and the store's saves this one has seen.
        self._shared = SharedAccess(state_dir / "sim.lock") if shared else None
        # Opened under the lock: two deployers starting at once would both make the new file's tables.
        with self._shared.opening() if self._shared else nullcontext():
            self._store = SimStore(state_dir / "sim.db")
            self._load()
            self._seen = self._store.generation()
        self._save_lock = asyncio.Lock()
        self._disk_scan_s = disk_scan_s
        self._disk_used: dict[str, int] = {}
        self._disk_measured_at = -math.inf
        self._disk_lock = asyncio.Lock()

    def _load(self) -> None:
        """The cluster, the histories and the exposures as the store has them (a new cluster if it has none)."""
        volumes = self.state_dir / "volumes"
        globals_json, parts, histories = self._store.load()
        if globals_json is not None:
            self.cluster = Cluster.load(globals_json, parts, volume_root=volumes)
        else:
            self.cluster = Cluster(volumes, self._config)
        self._history = {
            _key_of(key): [StoredRevision(**r) for r in json.loads(text)] for key, text in histories.items()
        }
        # The objects QuickOn owns to reach each release (its Ingress, TLS and basic-auth Secrets, Certificates).
        self._exposure = {_key_of(key): json.loads(text) for key, text in self._store.load_exposures().items()}
        self._unsaved_exposures: set[tuple[str, str]] = set()
        self._unsaved_parts: set[str] = set()  # taken from the cluster, not yet on disk
        self._unsaved_histories: set[tuple[str, str]] = set()
        self._changes = 0  # changes made in memory
        self._saved = 0  # changes on disk

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """Hold the shared cluster for one call, read again first if another process saved meanwhile."""
        assert self._shared is not None
        async with self._shared.held():
            if self._store.generation() != self._seen:
                self._load()  # on the event loop: nothing of this process may read the cluster half replaced
            try:
                yield  # a call that changes the cluster saves before it returns (time played only is not saved)
            finally:
                self._seen = self._store.generation()

    @classmethod
    def from_settings(
        cls, state_dir: Path, *, nodes: int, cpu: str, memory: str, disk: str = "100Gi", delay_scale: float,
        disk_scan_s: float = DISK_SCAN_S, shared: bool = False,
    ) -> SimRuntime:  # fmt: skip
        try:
            nodes_specs = default_nodes(nodes, cpu=cpu, memory=memory, disk=disk)
            config = SimConfig(nodes=nodes_specs, delay_scale=delay_scale)
        except (QuantityError, ValueError) as error:
            raise RuntimeFailure(f"sim runtime settings: {error}") from None
        return cls(state_dir, config, disk_scan_s=disk_scan_s, shared=shared)

    # -- the Runtime calls ------------------------------------------------------------------

    async def check(self) -> str | None:
        return None

    async def deploy(
        self,
        *,
        namespace: str,
        release: str,
        chart: Path,
        values: dict[str, Any],
        manifests: list[dict[str, Any]],
        description: str,
    ) -> int:
        # The first object labelled with its chart: a crds/ CRD (printed first) carries no labels.
        labels = ((m.get("metadata") or {}).get("labels") or {} for m in manifests)
        version = next((str(chart) for chart in (label.get("helm.sh/chart") for label in labels) if chart), "")
        try:
            result = self.cluster.apply(namespace=namespace, release=release, manifests=manifests, now=time.time())
        except HookFailed as error:
            await self._record(namespace, release, error.revision, description, version, manifests, status="failed")
            raise RuntimeFailure(str(error)) from None
        except ManifestError as error:
            raise RuntimeFailure(f"the cluster refused the manifests: {error}") from None
        return await self._record(namespace, release, result.revision, description, version, manifests)

    async def rollback(self, *, namespace: str, release: str, revision: int, description: str) -> int:
        history = self._history.get((namespace, release))
        if not history:
            raise ReleaseNotFound(f"no release {namespace}/{release}")
        target = next((r for r in history if r.number == revision), None)
        if target is None:
            raise RuntimeFailure(f"release {namespace}/{release} has no revision {revision}")
        try:
            result = self.cluster.apply(
                namespace=namespace, release=release, manifests=target.manifests, now=time.time(), rollback=True
            )
        except HookFailed as error:
            await self._record(
                namespace, release, error.revision, description, target.chart_version, target.manifests, "failed"
            )
            raise RuntimeFailure(str(error)) from None
        except ManifestError as error:
            raise RuntimeFailure(f"the cluster refused revision {revision}'s manifests: {error}") from None
        return await self._record(
            namespace, release, result.revision, description, target.chart_version, target.manifests
        )

    async def history(self, *, namespace: str, release: str) -> list[Revision]:
        return [
            Revision(r.number, r.status, r.description, r.chart_version)
            for r in self._history.get((namespace, release), [])
        ]

    async def uninstall(self, *, namespace: str, release: str, keep_volumes: bool) -> None:
        if self.cluster.has_release(namespace=namespace, release=release):
            deployed = [r for r in self._history.get((namespace, release), []) if r.status == "deployed"]
            try:
                self.cluster.uninstall(
                    namespace=namespace,
                    release=release,
                    now=time.time(),
                    keep_volumes=keep_volumes,
                    manifests=deployed[-1].manifests if deployed else (),
                )
            except ManifestError as error:  # a pre-delete hook failed: the release stays, as with helm
                await self._save()
                raise RuntimeFailure(str(error)) from None
        self._history.pop((namespace, release), None)
        self._unsaved_histories.add((namespace, release))
        if self._exposure.pop((namespace, release), None) is not None:
            self._unsaved_exposures.add((namespace, release))
        await self._save()
        # What `helm uninstall --wait` waits for, also when a crash interrupted an earlier call: the pods have
        # shut down. Bounded without a timeout: each ends within SimConfig.stop_s (scaled), whatever its grace.
        while True:
            self.cluster.tick(time.time())
            if not self.cluster.terminating(namespace=namespace, release=release):
                break
            await asyncio.sleep(self._until_next_change())
        await self._save()

    async def stop(self, *, namespace: str, release: str) -> None:
        await self._admin(self.cluster.stop, namespace, release)

    async def start(self, *, namespace: str, release: str) -> None:
        await self._admin(self.cluster.start, namespace, release)

    async def restart(self, *, namespace: str, release: str) -> None:
        await self._admin(self.cluster.restart, namespace, release)

    async def apply_exposure(self, *, namespace: str, release: str, objects: list[dict[str, Any]]) -> None:
        """Checked as an API server would (known kinds, this namespace, an Ingress routing to a Service of the
        release), then kept as the release's exposure, replacing what it had."""
        if not self.cluster.has_release(namespace=namespace, release=release):
            raise ReleaseNotFound(f"no release {namespace}/{release}")
        services = self.cluster.service_names(namespace=namespace, release=release)
        for obj in objects:
            if problem := exposure_problem(obj, namespace=namespace, services=services):
                raise RuntimeFailure(f"the cluster refused the exposure: {problem}")
        key = (namespace, release)
        if objects:
            self._exposure[key] = copy.deepcopy(objects)
        elif self._exposure.pop(key, None) is None:
            return
        self._unsaved_exposures.add(key)
        await self._save()

    async def exposure(self, *, namespace: str, release: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self._exposure.get((namespace, release), []))

    async def replace_broken_pods(self, *, namespace: str, release: str) -> list[str]:
        try:
            deleted = self.cluster.delete_stale_pods(namespace=namespace, release=release, now=time.time())
        except NotFoundError:
            raise ReleaseNotFound(f"no release {namespace}/{release}") from None
        await self._save()
        return deleted

    async def inject(
        self, *, namespace: str, release: str, kind: str, name: str, failure: str, count: int | None = None
    ) -> None:
        """Make a workload's pods fail (an admin call of the sim runtime only)."""
        try:
            self.cluster.inject(
                namespace=namespace,
                release=release,
                kind=kind,
                name=name,
                failure=failure,
                now=time.time(),
                count=count,
            )
        except (NotFoundError, ValueError) as error:
            raise RuntimeFailure(str(error)) from None
        await self._save()

    async def clear(self, *, namespace: str, release: str, kind: str, name: str) -> None:
        """Take injected failures away again."""
        try:
            self.cluster.clear(namespace=namespace, release=release, kind=kind, name=name, now=time.time())
        except NotFoundError as error:
            raise RuntimeFailure(str(error)) from None
        await self._save()

    async def fill_disk(self, *, node: str, size: int) -> None:
        """Put ``size`` bytes on a node's disk beside its volumes (an admin call of the sim runtime only)."""
        try:
            self.cluster.fill_disk(node=node, size=size, now=time.time())
        except (NotFoundError, ValueError) as error:
            raise RuntimeFailure(str(error)) from None
        await self._save()

    async def metrics(self) -> str:
        """The cluster's metrics in Prometheus' text format, as its exporters would give them. The volumes'
        directories are measured in a thread, at most every ``disk_scan_s``: a walk of thousands of them is
        slower than a scrape should be, and a disk fills slowly."""
        async with self._disk_lock:
            if time.monotonic() - self._disk_measured_at >= self._disk_scan_s:
                directories = self.cluster.disk_directories()  # read here: the event loop changes the state
                self._disk_used = await asyncio.to_thread(disk_used, directories)
                self._disk_measured_at = time.monotonic()
        return self.cluster.metrics(now=time.time(), disk_used=self._disk_used)

    async def health(self, *, namespace: str, release: str) -> Health:
        self.cluster.tick(time.time())
        if not self.cluster.has_release(namespace=namespace, release=release):
            return Health(exists=False)
        status = self.cluster.status(namespace=namespace, release=release)
        return Health(
            exists=True,
            ready=status.ready,
            degraded=status.degraded,
            stopped=status.stopped,
            pending_reason=status.pending_reason,
            workloads=tuple(WorkloadHealth(w.kind, w.name, w.desired, w.ready, w.updated) for w in status.workloads),
            pods=tuple(
                PodHealth(p.name, p.owner, p.phase, p.ready, p.restarts, "" if p.ready else p.reason, p.node)
                for p in status.pods
            ),
            events=tuple(
                ClusterEvent(e.type, e.reason, e.involved_object, e.message, e.count, e.last_time)
                for e in status.events
            ),
        )

    async def releases(self) -> list[tuple[str, str]]:
        return self.cluster.releases()

    async def components(self) -> dict[str, int]:
        scaled = self.cluster.platform_replicas()
        return {name: scaled.get(name, 1) for name in PLATFORM_COMPONENTS}

    async def scale_component(self, name: str, replicas: int) -> int:
        check_component_scale(name, replicas)
        self.cluster.scale_platform(service=name, replicas=replicas)
        await self._save()
        return replicas

    async def resources(self) -> ClusterResources:
        self.cluster.tick(time.time())
        nodes, claimed = self.cluster.usage()
        return ClusterResources(
            nodes=tuple(
                NodeResources(n.name, True, n.cpu_m, n.memory, n.cpu_requested_m, n.memory_requested, n.pods)
                for n in nodes
            ),
            storage_requested=claimed,
            # The volumes are directories on this machine: the disk they are on is what they may fill.
            storage_capacity=_disk_size(self.cluster.volume_root),
        )

    async def close(self) -> None:
        await self._save()

    async def until_changed(self, *, namespace: str, release: str, at_most: float) -> None:
        await asyncio.sleep(min(self._until_next_change(), at_most))

    def _until_next_change(self) -> float:
        """Seconds until the simulated cluster next changes by itself (a pod becomes ready, a container crashes)."""
        due = self.cluster.next_change_at()
        return MAX_WAIT_S if due is None else min(max(due - time.time(), MIN_WAIT_S), MAX_WAIT_S)

    # -- Helm's part: revisions ----------------------------------------------------------------

    async def _record(
        self,
        namespace: str,
        release: str,
        number: int,
        description: str,
        chart: str,
        manifests: list[dict[str, Any]],
        status: str = "deployed",
    ) -> int:
        """Add a revision; a deployed one supersedes the deployed one, a failed one (a hook failed) leaves it."""
        history = self._history.setdefault((namespace, release), [])
        if status == "deployed":
            for earlier in history:
                if earlier.status == "deployed":
                    earlier.status = "superseded"
        history.append(StoredRevision(number, status, description, chart, manifests))
        self._unsaved_histories.add((namespace, release))
        await self._save()
        return number

    async def _admin(self, call: Any, namespace: str, release: str) -> None:
        try:
            call(namespace=namespace, release=release, now=time.time())
        except NotFoundError:
            raise ReleaseNotFound(f"no release {namespace}/{release}") from None
        await self._save()

    async def _save(self) -> None:
        """Put every change made so far on disk; one write covers the changes of concurrent callers."""
        self._changes += 1
        wanted = self._changes
        async with self._save_lock:
            if self._saved >= wanted:
                return
            covered = self._changes
            # What this save writes is taken out of the unsaved sets before the write, and fresh sets
            # collect what other callers change while the write runs in its thread: clearing the sets
            # after the write would drop those changes, and a revision recorded meanwhile would be
            # missing from disk (a resumed apply would not find it and deploy again).
            part_names = self._unsaved_parts | self.cluster.take_touched()
            history_keys, exposure_keys = self._unsaved_histories, self._unsaved_exposures
            self._unsaved_parts, self._unsaved_histories, self._unsaved_exposures = set(), set(), set()
            try:
                # Serialised here, on the event loop, so that the state cannot change under the encoder.
                parts = self.cluster.saved_parts(part_names)
                histories = {
                    _name_of(key): json.dumps([asdict(r) for r in self._history[key]]) if key in self._history else None
                    for key in history_keys
                }
                exposures = {
                    _name_of(key): json.dumps(self._exposure[key]) if key in self._exposure else None
                    for key in exposure_keys
                }
                await asyncio.to_thread(self._store.save, self.cluster.saved_globals(), parts, histories, exposures)
            except BaseException:
                # Not on disk (or not known to be): the next save writes them again.
                self._unsaved_parts |= part_names
                self._unsaved_histories |= history_keys
                self._unsaved_exposures |= exposure_keys
                raise
            self._saved = covered


class SimStore:
    """The simulated cluster's parts and Helm's revision histories, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        owner_only_file(path, *SQLITE_COMPANIONS)  # the cluster's objects, Secrets too: its owner's only
        # Used from one worker thread at a time (saves are serialised by the runtime's lock).
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a save the deployer was told of survives a power cut
        self._db.execute("CREATE TABLE IF NOT EXISTS part (name TEXT PRIMARY KEY, body BLOB NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS history (release TEXT PRIMARY KEY, body TEXT NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS exposure (release TEXT PRIMARY KEY, body TEXT NOT NULL)")
        # How many saves the store has taken: a process sharing the cluster reads it again when this moved.
        self._db.execute("CREATE TABLE IF NOT EXISTS saves (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER)")
        self._db.execute("INSERT OR IGNORE INTO saves VALUES (1, 0)")

    def load(self) -> tuple[bytes | None, list[bytes], dict[str, str]]:
        """The globals (None for a new cluster), every release part, every history by ``namespace/release``."""
        rows = dict(self._db.execute("SELECT name, body FROM part"))
        globals_json = rows.pop(GLOBALS_PART, None)
        return globals_json, list(rows.values()), dict(self._db.execute("SELECT release, body FROM history"))

    def generation(self) -> int:
        """How many saves the store has taken."""
        return int(self._db.execute("SELECT count FROM saves").fetchone()[0])

    def load_exposures(self) -> dict[str, str]:
        """Each release's exposure objects (JSON) by ``namespace/release``."""
        return dict(self._db.execute("SELECT release, body FROM exposure"))

    def save(
        self,
        globals_json: bytes,
        parts: dict[str, bytes | None],
        histories: dict[str, str | None],
        exposures: dict[str, str | None],
    ) -> None:
        """One transaction: the globals, each changed part, history and exposure (None deletes it)."""
        with self._db:  # BEGIN ... COMMIT, or ROLLBACK if anything fails
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("UPDATE saves SET count = count + 1")
            self._db.execute("INSERT OR REPLACE INTO part VALUES (?, ?)", (GLOBALS_PART, globals_json))
            for name, body in parts.items():
                if body is None:
                    self._db.execute("DELETE FROM part WHERE name = ?", (name,))
                else:
                    self._db.execute("INSERT OR REPLACE INTO part VALUES (?, ?)", (name, body))
            for release, text in histories.items():
                if text is None:
                    self._db.execute("DELETE FROM history WHERE release = ?", (release,))
                else:
                    self._db.execute("INSERT OR REPLACE INTO history VALUES (?, ?)", (release, text))
            for release, text in exposures.items():
                if text is None:
                    self._db.execute("DELETE FROM exposure WHERE release = ?", (release,))
                else:
                    self._db.execute("INSERT OR REPLACE INTO exposure VALUES (?, ?)", (release, text))

    def close(self) -> None:
        self._db.close()


GLOBALS_PART = ""  # no release has an empty name
LOCK_POLL_S = 0.005
# Whether the running task holds the shared cluster already (a call made from within another call).
_HOLDING: contextvars.ContextVar[bool] = contextvars.ContextVar("sim_holding", default=False)
Call = TypeVar("Call", bound=Callable[..., Awaitable[Any]])


class SharedAccess:
    """The exclusive file lock of a cluster that several processes share, taken by one call at a time.

    Calls of this process waiting their turn take it one after the other without letting it go (up to BURST):
    each time it passes to the other process, the next call here reads the whole cluster again."""

    BURST = 32

    def __init__(self, path: Path) -> None:
        owner_only_file(path)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._local = asyncio.Lock()  # this process's calls queue here, not on the file
        self._waiting = 0  # calls of this process queued behind the one running
        self._holding = False
        self._burst = 0  # calls run since the file lock was taken

    @contextmanager
    def opening(self) -> Iterator[None]:
        """The file lock held while the runtime opens and reads the store, before the event loop runs calls."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        self._waiting += 1
        try:
            await self._local.acquire()
        finally:
            self._waiting -= 1
        try:
            if not self._holding:
                await self._take()
            self._burst += 1
            yield
        finally:
            if self._holding and (self._waiting == 0 or self._burst >= self.BURST):
                self._let_go()
            self._local.release()
            if self._holding and not self._local.locked() and self._waiting == 0:
                self._let_go()  # the call that was to run next was cancelled meanwhile

    async def _take(self) -> None:
        while True:  # polled rather than waited for in a thread: a cancelled call must not take it later
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(LOCK_POLL_S)
        self._holding, self._burst = True, 0

    def _let_go(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._holding = False


def exclusive(call: Call) -> Call:
    """``call`` (a Runtime call of :class:`SimRuntime`) holding the shared cluster, when it is shared."""

    @functools.wraps(call)
    async def held(self: SimRuntime, *args: Any, **kwargs: Any) -> Any:
        if self._shared is None or _HOLDING.get():
            return await call(self, *args, **kwargs)
        async with self._exclusive():
            token = _HOLDING.set(True)
            try:
                return await call(self, *args, **kwargs)
            finally:
                _HOLDING.reset(token)

    return held  # type: ignore[return-value]


# Every call that reads or changes the cluster (until_changed only sleeps; the sagas' waits ask health after).
for _name in (
    "deploy", "rollback", "history", "uninstall", "stop", "start", "restart", "apply_exposure", "exposure",
    "replace_broken_pods", "inject", "clear", "fill_disk", "metrics", "health", "releases", "resources", "close",
    "nodes", "node", "cordon", "uncordon", "drain", "components", "scale_component",
):  # fmt: skip
    setattr(SimRuntime, _name, exclusive(getattr(SimRuntime, _name)))


def _disk_size(path: Path) -> int | None:
    """The size of the file system holding ``path`` (or its nearest existing parent: volumes come later)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).total
            except OSError:
                return None
    return None


def _name_of(key: tuple[str, str]) -> str:
    return f"{key[0]}/{key[1]}"


def _key_of(name: str) -> tuple[str, str]:
    namespace, release = name.split("/", 1)
    return namespace, release
