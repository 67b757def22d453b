"""Bus throughput: our outbox -> relay -> stream path and our consumer against raw nats-py.

One nats-server (started here, on a free port) and one run, so the ratios compare like with
like on a noisy machine. Raw publishing sends byte-identical messages (same headers, same
Nats-Msg-Id dedup work on the server) so the ratio is our overhead alone.

    uv run python benchmarks/bus.py [--quick] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import nats
from nats.js.api import AckPolicy, ConsumerConfig

from quickon_common.bus import ensure_stream
from quickon_common.consumer import Handling
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


async def raw_consume(url: str, subject: str, count: int) -> float:
    """A plain nats-py durable pull consumer acking each message; seconds for ``count``."""
    nc = await nats.connect(url)
    sub = await nc.jetstream().pull_subscribe(
        subject, "raw-bench", stream="QUICKON", config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT)
    )
    seen = 0
    started = 0.0
    while seen < count:
        for msg in await sub.fetch(min(100, count - seen), timeout=10):
            started = started or time.perf_counter()  # from the first message, like ours
            await msg.ack()
            seen += 1
    elapsed = time.perf_counter() - started
    await nc.close()
    return elapsed


async def our_consume(url: str, database_url: str, var_dir: Path, count: int) -> float:
    """A QuickOn service consumer (decode, inbox claim in a transaction, ack); seconds for ``count``.

    Timed from the first message handled, so the service's start-up is not counted.
    """
    settings = Settings(service="monitor", nats_url=url, database_url=database_url, var_dir=var_dir, log_json=False)
    service = Service("monitor", settings=settings, migrations=MIGRATIONS)
    done = asyncio.Event()
    applied = 0
    started = 0.0

    @service.handles(ServiceStatusChanged)
    async def observe(_event: ServiceStatusChanged, _handling: Handling[ServiceStatusChanged]) -> None:
        nonlocal applied, started
        started = started or time.perf_counter()
        applied += 1
        if applied == count:
            done.set()

    await service.start()
    await asyncio.wait_for(done.wait(), timeout=600)
    # Acks go out after the commit: wait for the server to have every one.
    await _wait_acked(url, service.consumers[0].durable)
    elapsed = time.perf_counter() - started
    await service.stop()
    return elapsed


async def _wait_acked(url: str, durable: str) -> None:
    nc = await nats.connect(url)
    try:
        while True:
            info = await nc.jetstream().consumer_info("QUICKON", durable)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            await asyncio.sleep(0.01)
    finally:
        await nc.close()


async def run(quick: bool, database_url: str | None) -> dict[str, float]:
    publish_n = 5_000 if quick else 20_000
    consume_n = 1_000 if quick else 5_000
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "nats") as server:
        var = Path(tmp)
        db_url = database_url or f"sqlite:///{var / 'bench.db'}"
        nc = await nats.connect(server.url)
        await ensure_stream(nc.jetstream(), Settings(service="bench"))
        await nc.close()

        messages = [encode(e, Envelope.new(e, source="bench")) for e in map(event, range(publish_n))]
        raw_s = await raw_publish(server.url, messages)
        print(f"raw nats-py publish_async: {publish_n} msgs in {raw_s:.2f}s = {publish_n / raw_s:,.0f} msgs/s")
        write_s, relay_s = await outbox_publish(server.url, db_url, publish_n)
        print(f"outbox write (500 events a transaction): {publish_n / write_s:,.0f} events/s")
        print(f"outbox -> relay -> stream: {publish_n} msgs in {relay_s:.2f}s = {publish_n / relay_s:,.0f} msgs/s")

        statuses = [ServiceStatusChanged(service=f"s{i}", status="running") for i in range(consume_n)]
        status_messages = [encode(e, Envelope.new(e, source="bench")) for e in statuses]
        await raw_publish(server.url, status_messages)
        raw_consume_s = await raw_consume(server.url, ServiceStatusChanged.subject, consume_n)
        print(f"raw nats-py pull consumer (fetch 100, ack each): {consume_n / raw_consume_s:,.0f} msgs/s")
        ours_s = await our_consume(server.url, db_url, var, consume_n)
        backend = "PostgreSQL" if "postgres" in db_url else "SQLite"
        print(f"consume -> inbox -> ack ({backend}, group commit per fetch): {consume_n / ours_s:,.0f} msgs/s")

    figures = {
        "raw_publish_per_s": round(publish_n / raw_s, 1),
        "outbox_write_per_s": round(publish_n / write_s, 1),
        "outbox_publish_per_s": round(publish_n / relay_s, 1),
        "publish_ratio": round(raw_s / relay_s, 3),
        "raw_consume_per_s": round(consume_n / raw_consume_s, 1),
        "consume_per_s": round(consume_n / ours_s, 1),
        "consume_ratio": round(raw_consume_s / ours_s, 3),
    }
    print(f"publish ratio (ours / raw): {figures['publish_ratio']:.2f}   goal >= 0.5")
    print(f"consume ratio (ours / raw): {figures['consume_ratio']:.2f}")
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
