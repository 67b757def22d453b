"""Backup and restore throughput of one volume (1 GB; 64 MB with --quick) on the local store and on S3 (a
moto server started here as its own process), against two baselines measured in the same run over the
same bytes:

- the ceiling of the bytes moved without QuickOn: a plain file copy (synced, as the store syncs) for the
  local store, the plain `minio` client's put/get for S3;
- the fair floor of the same work done by the field's own tools: GNU `tar` archiving the volume, piped
  through `sha256sum` and into the store (a synced file, or the plain `minio` client's streamed put);
  and back: the archive read from the store, through `sha256sum`, into `tar -x` in a fresh directory.

Every figure is the median of a few runs (3; 5 with --quick), QuickOn's and the baselines' alike: on a
shared machine single runs vary several fold (a plain get of 64 MB from moto took 69 to 757 ms between
runs), and the best of two compared one lucky baseline with one ordinary operation; the median of each,
taken in the same run, is what a user meets. Each run of the baselines follows a backup and restore of
QuickOn's, so that both meet the same state of the machine and of the S3 server (a plain get of moto was
2.5 times faster in some invocations than in others: timed after all of QuickOn's runs, a change of pace
between the two weighed on one side only). Peak memory of this process (which
runs the deployer and the backup service) shows it does not grow with the volume. Where each operation's
time went is printed step by step (from the saga's step events, for its median run; a restore's steps are
repeatable and told together with the next record, so its time is split by the hops heard on the bus
instead: when its stop was asked and done, when its start was asked and done).

A restore in place of a running service cannot beat a plain get plus the stop and start of the service
through the deployer (events, sagas, commits): that fair floor is measured too (the deployer's stop and
start of the same service, and the runtime's own, without the deployer), and the restore is given against it.

Each figure is a whole operation as a user asks for it, through events: BackupRequested -> BackupCompleted
(the release, the rendered objects, the volume tarred and streamed into the store, hashed on the way) and
RestoreRequested -> RestoreCompleted in place (stream back, hash checked, extract, stop, swap, start).
The market runs as its own process with the built-in catalog; pods are ready at once (sim delays scaled
to zero).

    uv run python benchmarks/backup.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from statistics import median
from typing import Any, BinaryIO, cast

import nats
from cryptography.fernet import Fernet
from minio import Minio
from nats.aio.client import Client as NatsClient
from pydantic import SecretStr

from quickon_backup.app import create_service as create_backup
from quickon_backup.settings import BackupSettings
from quickon_common.contracts import Event
from quickon_common.contracts.asks import RestoreStartAsked, RestoreStopAsked
from quickon_common.contracts.backup import BackupRequested, RestoreRequested
from quickon_common.contracts.deploy import AppInstallRequested, ServiceStartRequested, ServiceStopRequested
from quickon_common.envelope import Envelope, encode
from quickon_common.natsserver import NatsServer, free_port
from quickon_common.objectstore import StoreSettings, open_store
from quickon_common.service import Service
from quickon_common.settings import Settings
from quickon_deployer.app import DeployerParts
from quickon_deployer.app import build as build_deployer
from quickon_deployer.settings import DeployerSettings

CATALOG = Path(__file__).resolve().parents[1] / "catalog"
NAMESPACE = "bench"
FILE_SIZE = 64 << 20
MB = 1_000_000
KEY = SecretStr("bench-access-key")
SECRET = SecretStr("bench-secret-key")
TIMEOUT_S = 1800


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def wait_until_ready(service: Service, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not service.ready:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{service.name} not ready after {timeout_s}s: {service.all_checks()}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def process(command: list[str], env: dict[str, str]) -> AsyncIterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(  # noqa: ASYNC220 (returns at once)
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield child
    finally:
        child.terminate()
        child.wait(timeout=30)


async def wait_for(nc: NatsClient, subject: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            reply = json.loads((await nc.request(subject, b"{}", timeout=2)).data)
            if "error" not in reply and any(r.get("status") == "ok" for r in reply.get("repositories", [reply])):
                return
        except (TimeoutError, nats.errors.NoRespondersError, nats.errors.TimeoutError):
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"nobody answered {subject} in {timeout_s}s")


@asynccontextmanager
async def started(service: Service) -> AsyncIterator[Service]:
    await service.start()
    try:
        await wait_until_ready(service)
        yield service
    finally:
        await service.stop()


# The restore's stop and start, as the backup service asks them (in its context) and the deployer ends them.
HOPS = {
    RestoreStopAsked.subject: "stop.asked", "qc.deploy.stop.completed": "stop.completed",
    RestoreStartAsked.subject: "start.asked", "qc.deploy.start.completed": "start.completed",
}  # fmt: skip


class Outcomes:
    """Outcome events by operation id, heard on a plain subscription, and the steps' times on the way."""

    def __init__(self, nc: NatsClient) -> None:
        self.nc = nc
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.steps: dict[str, list[tuple[str, str, datetime]]] = {}
        # When a restore's stop and start were asked and done, by its operation id: {"stop.asked": t, ...}.
        self.hops: dict[str, dict[str, float]] = {}

    async def listen(self) -> None:
        for subject in ("qc.backup.>", "qc.deploy.install.>", "qc.deploy.stop.>", "qc.deploy.start.>"):
            await self.nc.subscribe(subject, cb=self._heard)
        await self.nc.flush()

    async def _heard(self, msg: Any) -> None:
        if (hop := HOPS.get(msg.subject)) is not None:
            asked_by, _, _step = (json.loads(msg.data).get("operation_id") or "").rpartition(":")
            if asked_by.startswith("restore-"):  # a restore's own stop or start: "restore-<its id>:stop"
                self.hops.setdefault(asked_by.removeprefix("restore-"), {})[hop] = time.perf_counter()
                return
        if msg.subject == "qc.backup.job.step":
            step = json.loads(msg.data)
            moment = datetime.fromisoformat(msg.headers["ce-time"].replace("Z", "+00:00"))
            self.steps.setdefault(step.get("operation_id") or "", []).append((step["step"], step["state"], moment))
            return
        if msg.subject.endswith((".requested", "_asked", ".started")):
            return
        body = json.loads(msg.data)
        future = self.waiting.pop(body.get("operation_id") or "", None)
        if future is not None and not future.done():
            future.set_result({"subject": msg.subject, **body})

    async def run(self, event: Event) -> tuple[float, dict[str, Any]]:
        """Publish ``event`` as the gateway would; seconds until its outcome, and the outcome."""
        op_id = str(uuid.uuid4())
        event = event.model_copy(update={"operation_id": op_id})
        subject, headers, body = encode(event, Envelope.new(event, source="gateway", actor="bench", team="bench"))
        future = self.waiting[op_id] = asyncio.get_running_loop().create_future()
        begun = time.perf_counter()
        await self.nc.jetstream().publish(subject, body, headers=headers)
        outcome = await asyncio.wait_for(future, TIMEOUT_S)
        if outcome["subject"].endswith("failed"):
            raise RuntimeError(f"{type(event).__name__} failed: {outcome.get('reason')}")
        hops = {hop: moment - begun for hop, moment in self.hops.pop(op_id, {}).items()}
        return time.perf_counter() - begun, {**outcome, "steps": step_times(self.steps.pop(op_id, [])), "hops": hops}


def step_times(records: list[tuple[str, str, datetime]]) -> dict[str, float]:
    """Seconds from each step's start to its end (as the saga recorded them), in the saga's order."""
    begun: dict[str, datetime] = {}
    spent: dict[str, float] = {}
    for step, state, moment in sorted(records, key=lambda record: record[2]):
        if state == "started":
            begun[step] = moment
        elif state in ("completed", "failed") and step in begun:
            spent[step] = (moment - begun[step]).total_seconds()
    return spent


def steps_line(spent: dict[str, float], whole_s: float) -> str:
    """Where an operation's time went: each step's seconds, and the rest (events, queues, commits)."""
    rest = whole_s - sum(spent.values())
    return "  ".join([*(f"{step} {seconds:.3f}s" for step, seconds in spent.items()), f"(outside steps {rest:.3f}s)"])


def hops_line(hops: dict[str, float], whole_s: float) -> str:
    """A restore's time split by what was heard on the bus, in milliseconds from its request."""
    said = {"stop.asked": "stop asked", "stop.completed": "stopped", "start.asked": "start asked",
            "start.completed": "started"}  # fmt: skip
    moments = [f"{said[hop]} {hops[hop] * 1000:.0f}" for hop in said if hop in hops]
    return "  ".join([*moments, f"completed {whole_s * 1000:.0f} ms"])


def fill(directory: Path, size: int) -> list[Path]:
    """``size`` random bytes in files of 64 MB (incompressible, as a real volume's data often is)."""
    directory.mkdir(parents=True, exist_ok=True)
    files, left, index = [], size, 0
    while left > 0:
        path = directory / f"data-{index:04d}.bin"
        with path.open("wb") as out:
            chunk = min(FILE_SIZE, left)
            for _ in range(0, chunk, 16 << 20):
                out.write(os.urandom(min(16 << 20, chunk)))
        files.append(path)
        left, index = left - chunk, index + 1
    return files


def copy_synced(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with target.open("rb+") as written:
        os.fsync(written.fileno())  # the local store syncs what it stores: so does its ceiling


def local_ceiling(files: list[Path], scratch: Path) -> tuple[float, float]:
    """Seconds to copy the files into a directory (synced, as the store does) and back."""
    scratch.mkdir(parents=True, exist_ok=True)
    begun = time.perf_counter()
    for f in files:
        copy_synced(f, scratch / f.name)
    put = time.perf_counter() - begun
    begun = time.perf_counter()
    for f in files:
        shutil.copyfile(scratch / f.name, scratch / f"{f.name}.back")
    get = time.perf_counter() - begun
    shutil.rmtree(scratch)
    return put, get


def shell(script: str) -> float:
    """Seconds for a bash pipeline to run (every stage must succeed: pipefail)."""
    begun = time.perf_counter()
    subprocess.run(["bash", "-c", f"set -o pipefail; {script}"], check=True)
    return time.perf_counter() - begun


def local_tar_floor(volume: Path, scratch: Path) -> tuple[float, float]:
    """Seconds for GNU tar + sha256sum to archive the volume into a synced file, and to check and extract it."""
    scratch.mkdir(parents=True, exist_ok=True)
    archive, target = shlex.quote(str(scratch / "volume.tar")), scratch / "restored"
    target.mkdir()
    put = shell(f"tar -cf - -C {shlex.quote(str(volume))} . | tee {archive} | sha256sum >/dev/null && sync {archive}")
    get = shell(f"tee >(sha256sum >/dev/null) < {archive} | tar -xf - -C {shlex.quote(str(target))}")
    shutil.rmtree(scratch)
    return put, get


def s3_tar_floor(endpoint: str, volume: Path, scratch: Path) -> tuple[float, float]:
    """Seconds for GNU tar + sha256sum piped into the plain minio client's streamed put, and for its get piped
    through sha256sum into tar -x."""
    client = Minio(endpoint, access_key=KEY.get_secret_value(), secret_key=SECRET.get_secret_value(), secure=False)
    if not client.bucket_exists("floor"):
        client.make_bucket("floor")
    target = scratch / "restored"
    target.mkdir(parents=True)
    begun = time.perf_counter()
    archiving = f"set -o pipefail; tar -cf - -C {shlex.quote(str(volume))} . | tee >(sha256sum >/dev/null)"
    with subprocess.Popen(["bash", "-c", archiving], stdout=subprocess.PIPE) as tar:
        assert tar.stdout is not None
        client.put_object("floor", "volume.tar", cast(BinaryIO, tar.stdout), length=-1, part_size=16 << 20)
    if tar.returncode:
        raise RuntimeError(f"the tar floor's archiving failed (exit {tar.returncode})")
    put = time.perf_counter() - begun
    begun = time.perf_counter()
    extracting = f"set -o pipefail; tee >(sha256sum >/dev/null) | tar -xf - -C {shlex.quote(str(target))}"
    with subprocess.Popen(["bash", "-c", extracting], stdin=subprocess.PIPE) as untar:
        assert untar.stdin is not None
        response = client.get_object("floor", "volume.tar")
        try:
            for chunk in response.stream(1 << 20):
                untar.stdin.write(chunk)
        finally:
            response.close()
            response.release_conn()
        untar.stdin.close()
    if untar.returncode:
        raise RuntimeError(f"the tar floor's extraction failed (exit {untar.returncode})")
    get = time.perf_counter() - begun
    client.remove_object("floor", "volume.tar")
    shutil.rmtree(scratch)
    return put, get


def minio_ceiling(endpoint: str, files: list[Path], scratch: Path) -> tuple[float, float]:
    """Seconds for the plain minio client to put the files and get them back (16 MiB parts, as the store)."""
    client = Minio(endpoint, access_key=KEY.get_secret_value(), secret_key=SECRET.get_secret_value(), secure=False)
    if not client.bucket_exists("ceiling"):
        client.make_bucket("ceiling")
    scratch.mkdir(parents=True, exist_ok=True)
    begun = time.perf_counter()
    for f in files:
        client.fput_object("ceiling", f.name, str(f), part_size=16 << 20)
    put = time.perf_counter() - begun
    begun = time.perf_counter()
    for f in files:
        client.fget_object("ceiling", f.name, str(scratch / f.name))
    get = time.perf_counter() - begun
    for f in files:
        client.remove_object("ceiling", f.name)
    shutil.rmtree(scratch)
    return put, get


# A baseline: given the volume and its files, the seconds its put and its get took.
Baseline = Callable[[Path, list[Path]], tuple[float, float]]


@dataclass(frozen=True)
class Measured:
    """One store's backup and restore times, and its baselines' median put and get, measured in turn with them."""

    backup_s: float
    restore_s: float
    baselines: dict[str, tuple[float, float]]
    deployer_stop_start_s: float  # the deployer's stop then start of the service, through events
    runtime_stop_start_s: float  # the runtime's own stop then start, called directly


async def measure(
    outcomes: Outcomes,
    url: str,
    work: Path,
    store: StoreSettings,
    backend: str,
    size: int,
    deployer: DeployerParts,
    runs: int,
    baselines: dict[str, Baseline],
) -> Measured:
    database = f"sqlite:///{work / f'backup-{backend}.db'}"
    settings = Settings(service="backup", nats_url=url, var_dir=work, database_url=database, log_json=False)
    service = create_backup(settings, BackupSettings(), store=open_store(store))
    async with started(service):
        name = f"vol-{backend}"
        await outcomes.run(AppInstallRequested(service=name, namespace=NAMESPACE, app="redis", version="1.0.0"))
        runtime = deployer.runtime
        (claim,) = runtime.cluster.status(namespace=NAMESPACE, release=name).claims
        volume = Path(claim.path)
        files = fill(volume / "bench", size)  # a restore swaps the volume's directory: the same paths, restored
        backups, restores = [], []
        timed: dict[str, list[tuple[float, float]]] = {baseline: [] for baseline in baselines}
        for attempt in range(runs):
            backup_id = f"bench-{backend}-{attempt}"
            backups.append(await outcomes.run(BackupRequested(backup_id=backup_id, service=name, namespace=NAMESPACE)))
            restores.append(
                await outcomes.run(RestoreRequested(backup_id=backup_id, service=name, namespace=NAMESPACE))
            )
            for baseline, timing in baselines.items():
                timed[baseline].append(await asyncio.to_thread(timing, volume, files))
        backup_s, done = median_run(backups)
        restore_s, restored = median_run(restores)
        print(
            f"{backend:5} store: backup {size / MB / backup_s:7.1f} MB/s ({backup_s:.2f}s, "
            f"{done['size_bytes'] / MB:.0f} MB stored), restore in place {size / MB / restore_s:7.1f} MB/s "
            f"({restore_s:.2f}s)",
            flush=True,
        )
        print(f"  backup steps:  {steps_line(done['steps'], backup_s)}")
        print(f"  restore hops (ms from the request): {hops_line(restored['hops'], restore_s)}", flush=True)
        through_deployer, by_runtime = [], []
        for _ in range(runs):
            stopped, _ = await outcomes.run(ServiceStopRequested(service=name, namespace=NAMESPACE))
            started_again, _ = await outcomes.run(ServiceStartRequested(service=name, namespace=NAMESPACE))
            through_deployer.append(stopped + started_again)
            begun = time.perf_counter()
            await runtime.stop(namespace=NAMESPACE, release=name)
            await runtime.start(namespace=NAMESPACE, release=name)
            by_runtime.append(time.perf_counter() - begun)
        print(f"  stop + start of {name}: {median(through_deployer) * 1000:.0f} ms through the deployer, "
              f"{median(by_runtime) * 1000:.1f} ms by the runtime alone", flush=True)  # fmt: skip
        return Measured(
            backup_s=backup_s, restore_s=restore_s,
            baselines={baseline: (median(put for put, _ in times), median(get for _, get in times))
                       for baseline, times in timed.items()},
            deployer_stop_start_s=median(through_deployer), runtime_stop_start_s=median(by_runtime),
        )  # fmt: skip


def median_run(runs: list[tuple[float, dict[str, Any]]]) -> tuple[float, dict[str, Any]]:
    """The run in the middle by time (the lower middle of an even count): an operation as a user meets it."""
    return sorted(runs, key=lambda run: run[0])[(len(runs) - 1) // 2]


async def run(quick: bool) -> dict[str, Any]:
    size = (64 if quick else 1000) * MB
    runs = 5 if quick else 3
    with tempfile.TemporaryDirectory(prefix="qc-bench-backup-") as directory:
        work = Path(directory)
        nats_server = NatsServer(work / "nats").start()
        url = nats_server.url
        s3_port = free_port()
        market_env = {
            "QC_NATS_URL": url, "QC_VAR_DIR": str(work), "QC_MARKET_DATABASE_URL": f"sqlite:///{work / 'market.db'}",
            "QC_MARKET_HTTP_PORT": str(free_port()), "QC_MARKET_BUILTIN_CATALOG": str(CATALOG),
            "QC_LOG_LEVEL": "WARNING",
        }  # fmt: skip
        moto_env = {"AWS_ACCESS_KEY_ID": KEY.get_secret_value(), "AWS_SECRET_ACCESS_KEY": SECRET.get_secret_value()}
        try:
            async with (
                process([sys.executable, "-m", "quickon_market"], market_env),
                process([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)], moto_env),
            ):
                nc = await nats.connect(url)
                await wait_for(nc, "qc.query.market.repositories")
                key = SecretStr(Fernet.generate_key().decode())
                deployer_settings = Settings(
                    service="deployer", nats_url=url, var_dir=work, log_json=False,
                    database_url=f"sqlite:///{work / 'deployer.db'}", secret_key=key,
                )  # fmt: skip
                sim = DeployerSettings(runtime="sim", sim_delay_scale=0, failure_grace_s=0, pre_upgrade_backup=False)
                deployer = build_deployer(deployer_settings, sim)
                async with started(deployer.service):
                    outcomes = Outcomes(nc)
                    await outcomes.listen()
                    local = await measure(
                        outcomes, url, work, StoreSettings(url=f"file://{work / 'objects'}"), "local", size, deployer,
                        runs, {"ceiling": lambda _volume, files: local_ceiling(files, work / "ceiling-local"),
                               "tar": lambda volume, _files: local_tar_floor(volume, work / "objects" / "floor")},
                    )  # fmt: skip
                    (local_put, local_get), (local_tar_put, local_tar_get) = local.baselines.values()
                    s3_store = StoreSettings(url="s3://bench", endpoint=f"127.0.0.1:{s3_port}", access_key=KEY,
                                             secret_key=SECRET, secure=False)  # fmt: skip
                    Minio(s3_store.endpoint or "", access_key=KEY.get_secret_value(),
                          secret_key=SECRET.get_secret_value(), secure=False).make_bucket("bench")  # fmt: skip
                    endpoint = s3_store.endpoint or ""
                    s3 = await measure(
                        outcomes, url, work, s3_store, "s3", size, deployer, runs,
                        {"ceiling": lambda _volume, files: minio_ceiling(endpoint, files, work / "ceiling-s3"),
                         "tar": lambda volume, _files: s3_tar_floor(endpoint, volume, work / "floor-s3")},
                    )  # fmt: skip
                    (put_s, get_s), (tar_put, tar_get) = s3.baselines.values()
                await nc.close()
        finally:
            nats_server.stop()
    mb = size / MB
    figures = {
        "volume_mb": round(mb),
        "backup_mb_s": round(mb / s3.backup_s, 1),
        "restore_mb_s": round(mb / s3.restore_s, 1),
        "ceiling_put_mb_s": round(mb / put_s, 1),
        "ceiling_get_mb_s": round(mb / get_s, 1),
        "backup_ratio": round(put_s / s3.backup_s, 2),
        "restore_ratio": round(get_s / s3.restore_s, 2),
        "local_backup_mb_s": round(mb / local.backup_s, 1),
        "local_restore_mb_s": round(mb / local.restore_s, 1),
        "local_ceiling_put_mb_s": round(mb / local_put, 1),
        "local_ceiling_get_mb_s": round(mb / local_get, 1),
        "local_backup_ratio": round(local_put / local.backup_s, 2),
        "local_restore_ratio": round(local_get / local.restore_s, 2),
        "tar_put_mb_s": round(mb / tar_put, 1),
        "tar_get_mb_s": round(mb / tar_get, 1),
        "backup_vs_tar_ratio": round(tar_put / s3.backup_s, 2),
        "restore_vs_tar_ratio": round(tar_get / s3.restore_s, 2),
        "local_tar_put_mb_s": round(mb / local_tar_put, 1),
        "local_tar_get_mb_s": round(mb / local_tar_get, 1),
        "local_backup_vs_tar_ratio": round(local_tar_put / local.backup_s, 2),
        "local_restore_vs_tar_ratio": round(local_tar_get / local.restore_s, 2),
        "deployer_stop_start_ms": round(s3.deployer_stop_start_s * 1000, 1),
        "runtime_stop_start_ms": round(s3.runtime_stop_start_s * 1000, 1),
        "restore_vs_get_and_restart_ratio": round((get_s + s3.deployer_stop_start_s) / s3.restore_s, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    f = figures
    print(f"S3 (moto) ceiling, plain minio client: put {f['ceiling_put_mb_s']} MB/s, get {f['ceiling_get_mb_s']} MB/s")
    print(f"  backup {f['backup_ratio']:.2f}x and restore {f['restore_ratio']:.2f}x of it   goal 0.5x or better")
    print(f"local ceiling, file copy: put {f['local_ceiling_put_mb_s']} MB/s, get {f['local_ceiling_get_mb_s']} MB/s")
    print(f"  backup {f['local_backup_ratio']:.2f}x and restore {f['local_restore_ratio']:.2f}x of it")
    print(f"S3 (moto) floor, tar + sha256sum + plain minio client: put {f['tar_put_mb_s']} MB/s, "
          f"get {f['tar_get_mb_s']} MB/s")  # fmt: skip
    print(f"  backup {f['backup_vs_tar_ratio']:.2f}x and restore {f['restore_vs_tar_ratio']:.2f}x of it   "
          "goal 0.5x or better")  # fmt: skip
    print(f"local floor, tar + sha256sum + synced file: put {f['local_tar_put_mb_s']} MB/s, "
          f"get {f['local_tar_get_mb_s']} MB/s")  # fmt: skip
    print(f"  backup {f['local_backup_vs_tar_ratio']:.2f}x and restore {f['local_restore_vs_tar_ratio']:.2f}x of it   "
          "goal 0.5x or better")  # fmt: skip
    print(f"S3 restore against a plain get plus the deployer's stop and start ({f['deployer_stop_start_ms']} ms): "
          f"{f['restore_vs_get_and_restart_ratio']:.2f}x")  # fmt: skip
    print(f"peak RSS of this process (deployer + backup service): {f['peak_rss_mb']} MB for a {mb:.0f} MB volume")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 64 MB volume instead of 1 GB; about two minutes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(run(args.quick))
    sys.stdout.flush()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
