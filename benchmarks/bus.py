"""Bus throughput: our outbox -> relay -> stream path and our consumer against raw nats-py.

One nats-server (started here, on a free port) and one run, so the ratios compare like with
like on a noisy machine. Raw publishing sends byte-identical messages (same headers, same
Nats-Msg-Id dedup work on the server) so the ratio is our overhead alone. Consuming is measured
in rounds, raw then ours each time, and each side's best round counts: on a shared machine a
slow round says more about the neighbours than about the code.

SQLite always; PostgreSQL as well when QC_TEST_POSTGRES_URL is set (a fresh database, dropped
afterwards). ``--database-url`` measures that one database only.

    uv run python benchmarks/bus.py [--quick] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nats
import psycopg
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy.engine import make_url

from quickon_common.bus import ensure_stream
from quickon_common.consumer import MAX_GROUP, Handling
from quickon_common.contracts.deploy import SagaStepRecorded, ServiceStatusChanged
from quickon_common.db import Database
from quickon_common.envelope import Envelope, encode
from quickon_common.migrations import migrate
from quickon_common.natsserver import NatsServer
from quickon_common.outbox import Outbox
from quickon_common.relay import OutboxRelay
from quickon_common.service import Service
from quickon_common.settings import Settings
from quickon_monitor.migrations import MIGRATIONS


def event(i: int) -> SagaStepRecorded:
    return SagaStepRecorded(service=f"svc-{i}", operation="install", step="apply", state="completed", detail="x" * 64)


async def raw_publish(url: str, messages: list[tuple[str, dict[str, str], bytes]]) -> float:
    """Raw nats-py publish_async of ready-made messages; seconds until every ack is in."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    started = time.perf_counter()
    futures = [await js.publish_async(s, b, headers=h) for s, h, b in messages]
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await nc.close()
    return elapsed


async def outbox_publish(url: str, database_url: str, count: int) -> tuple[float, float]:
    """Write ``count`` events through the outbox, then time the relay draining them."""
    db = Database(database_url)
    await migrate(db, MIGRATIONS)
    outbox = Outbox(db, source="bench")
    started = time.perf_counter()
    for chunk in range(0, count, 500):
        async with outbox.begin() as uow:
            for i in range(chunk, min(chunk + 500, count)):
                uow.emit(event(i))
    write_s = time.perf_counter() - started
    nc = await nats.connect(url)
    relay = OutboxRelay(db, service="bench", batch_size=1000)
    started = time.perf_counter()
    await relay.drain(nc.jetstream())
    await relay.forget_published()  # the deletes as well, as before they ran in the background
    relay_s = time.perf_counter() - started
    await nc.close()
    await db.dispose()
    return write_s, relay_s


@dataclass
class Timing:
    """Seconds on the clock, and this process's CPU seconds (every thread; not the servers')."""

    wall: float
    cpu: float


async def raw_consume(url: str, subject: str, count: int, batch: int) -> Timing:
    """A plain nats-py durable pull consumer fetching ``batch`` at a time and acking each message.

    Timed, like ours, until the server has every ack (not until the last one is in the send buffer).
    """
    nc = await nats.connect(url)
    checker = await nats.connect(url)
    sub = await nc.jetstream().pull_subscribe(
        subject, "raw-bench", stream="QUICKON", config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT)
    )
    seen = 0
    started = cpu_started = 0.0
    while seen < count:
        for msg in await sub.fetch(min(batch, count - seen), timeout=10):
            if not started:  # from the first message, like ours
                started, cpu_started = time.perf_counter(), time.process_time()
            await msg.ack()
            seen += 1
    await _wait_acked(checker, "raw-bench")
    timing = Timing(time.perf_counter() - started, time.process_time() - cpu_started)
    await nc.close()
    await checker.close()
    return timing


async def our_consume(url: str, database_url: str, var_dir: Path, count: int) -> Timing:
    """A QuickOn service consumer (decode, inbox claim in a transaction, ack) with its default settings.

    Timed from the first message handled, so the service's start-up is not counted.
    """
    settings = Settings(service="monitor", nats_url=url, database_url=database_url, var_dir=var_dir, log_json=False)
    service = Service("monitor", settings=settings, migrations=MIGRATIONS)
    done = asyncio.Event()
    applied = 0
    started = cpu_started = 0.0

    @service.handles(ServiceStatusChanged)
    async def observe(_event: ServiceStatusChanged, _handling: Handling[ServiceStatusChanged]) -> None:
        nonlocal applied, started, cpu_started
        if not started:
            started, cpu_started = time.perf_counter(), time.process_time()
        applied += 1
        if applied == count:
            done.set()

    checker = await nats.connect(url)
    await service.start()
    await asyncio.wait_for(done.wait(), timeout=600)
    # Acks go out after the commit: wait for the server to have every one.
    await _wait_acked(checker, service.consumers[0].durable)
    timing = Timing(time.perf_counter() - started, time.process_time() - cpu_started)
    await service.stop()
    await checker.close()
    return timing


async def _wait_acked(checker: nats.NATS, durable: str) -> None:
    """Until the server has every ack of ``durable``; asked on a connection opened before the clock
    started, so that both sides' figures end the same way and neither counts a connect."""
    while True:
        info = await checker.jetstream().consumer_info("QUICKON", durable)
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return
        await asyncio.sleep(0.001)


POSTGRES_ENV = "QC_TEST_POSTGRES_URL"
ROUNDS = 3


async def measure_backend(
    url: str, db_url: str, var: Path, backend: str, publish_n: int, consume_n: int
) -> dict[str, float]:
    """The publish and consume figures of one database, each against raw nats-py in the same run."""
    messages = [encode(e, Envelope.new(e, source="bench")) for e in map(event, range(publish_n))]
    raw_s = await raw_publish(url, messages)
    print(f"[{backend}] raw nats-py publish_async: {publish_n} msgs in {raw_s:.2f}s = {publish_n / raw_s:,.0f} msgs/s")
    write_s, relay_s = await outbox_publish(url, db_url, publish_n)
    print(f"[{backend}] outbox write (500 events a transaction): {publish_n / write_s:,.0f} events/s")
    print(
        f"[{backend}] outbox -> relay -> stream: {publish_n} msgs in {relay_s:.2f}s = {publish_n / relay_s:,.0f} msgs/s"
    )

    batch = Settings(service="bench").consumer_batch_size  # the raw consumer fetches as many as ours
    raw_rounds: list[Timing] = []
    our_rounds: list[Timing] = []
    for round_number in range(1, ROUNDS + 1):
        statuses = [ServiceStatusChanged(service=f"s{i}", status="running") for i in range(consume_n)]
        await raw_publish(url, [encode(e, Envelope.new(e, source="bench")) for e in statuses])
        raw_rounds.append(await raw_consume(url, ServiceStatusChanged.subject, consume_n, batch))
        our_rounds.append(await our_consume(url, db_url, var, consume_n))
        raw, ours = raw_rounds[-1], our_rounds[-1]
        print(
            f"[{backend}] round {round_number}: raw nats-py pull consumer (fetch {batch}, ack each) "
            f"{consume_n / raw.wall:,.0f} msgs/s, {raw.cpu / consume_n * 1e6:.0f} us CPU a message; "
            f"consume -> inbox -> ack (group commit per fetch, up to {MAX_GROUP} with a backlog) "
            f"{consume_n / ours.wall:,.0f} msgs/s, "
            f"{ours.cpu / consume_n * 1e6:.0f} us CPU a message"
        )
    raw_consume_s, ours_s = min(r.wall for r in raw_rounds), min(r.wall for r in our_rounds)
    raw_cpu_s, ours_cpu_s = min(r.cpu for r in raw_rounds), min(r.cpu for r in our_rounds)
    figures = {
        "raw_publish_per_s": round(publish_n / raw_s, 1),
        "outbox_write_per_s": round(publish_n / write_s, 1),
        "outbox_publish_per_s": round(publish_n / relay_s, 1),
        "publish_ratio": round(raw_s / relay_s, 3),
        "raw_consume_per_s": round(consume_n / raw_consume_s, 1),
        "consume_per_s": round(consume_n / ours_s, 1),
        "consume_ratio": round(raw_consume_s / ours_s, 3),
        "raw_consume_cpu_us": round(raw_cpu_s / consume_n * 1e6, 1),
        "consume_cpu_us": round(ours_cpu_s / consume_n * 1e6, 1),
        "consume_cpu_ratio": round(raw_cpu_s / ours_cpu_s, 3),
    }
    print(f"[{backend}] publish ratio (ours / raw): {figures['publish_ratio']:.2f}   goal >= 0.5")
    print(f"[{backend}] consume ratio (best round, ours / raw): {figures['consume_ratio']:.2f}   goal >= 0.5")
    print(
        f"[{backend}] consume CPU ratio (this process's CPU a message, raw / ours): {figures['consume_cpu_ratio']:.2f}"
    )
    return figures


def fresh_postgres(base: str) -> str:
    """A new, empty database on the server of ``base``."""
    name = f"qc_bench_bus_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(make_url(base).render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_postgres(base: str, url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(make_url(base).render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(quick: bool, database_url: str | None) -> dict[str, float]:
    publish_n = 5_000 if quick else 20_000
    consume_n = 1_000 if quick else 5_000
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "nats") as server:
        var = Path(tmp)
        nc = await nats.connect(server.url)
        await ensure_stream(nc.jetstream(), Settings(service="bench"))
        await nc.close()
        if database_url:
            backend = "postgres" if "postgres" in database_url else "sqlite"
            backends = [(backend, database_url)]
        else:
            backends = [("sqlite", f"sqlite:///{var / 'bench.db'}")]
            postgres_base = os.environ.get(POSTGRES_ENV)
            if postgres_base:
                backends.append(("postgres", fresh_postgres(postgres_base)))
            else:
                print(f"[postgres] skipped: {POSTGRES_ENV} is not set")
        for backend, db_url in backends:
            try:
                measured = await measure_backend(server.url, db_url, var, backend, publish_n, consume_n)
            finally:
                if backend == "postgres" and not database_url:
                    drop_postgres(os.environ[POSTGRES_ENV], db_url)
            figures.update({f"{name}_{backend}": value for name, value in measured.items()})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    figures = asyncio.run(run(args.quick, args.database_url))
    sys.stdout.flush()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
