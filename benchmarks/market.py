"""Market speed: syncing a 20,000-version index against PyYAML's C loader alone, and search latency.

Starts its own nats-server; the market runs in this process on SQLite (or --database-url).
Search is timed end to end over NATS request/reply, as the gateway will ask.

    uv run python benchmarks/market.py [--quick] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import nats
import yaml

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from quickon_common.natsserver import NatsServer
from quickon_common.settings import Settings
from quickon_market.app import build
from quickon_market.models import Repository
from quickon_market.settings import MarketSettings
from support.charts import CATEGORIES, big_index


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(quick: bool, database_url: str | None) -> dict[str, float]:
    apps, versions = (500, 10) if quick else (2000, 10)
    queries = 200 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "nats") as server:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        data = big_index(apps, versions)
        (repo / "index.yaml").write_bytes(data)
        print(f"index.yaml: {apps * versions:,} versions of {apps:,} apps, {len(data) / 1e6:.1f} MB")

        floors = []
        for _ in range(3):
            started = time.perf_counter()
            yaml.load(data, Loader=yaml.CSafeLoader)
            floors.append(time.perf_counter() - started)
        floor = min(floors)
        print(f"PyYAML CSafeLoader alone (the floor, best of 3): {floor:.2f}s")

        settings = Settings(
            service="market", nats_url=server.url, var_dir=Path(tmp) / "var", log_json=False,
            database_url=database_url or f"sqlite:///{tmp}/market.db",
        )  # fmt: skip
        market = build(settings, MarketSettings(builtin_catalog=Path("off")))
        service = market.service
        await service.start()
        while not service.ready:  # noqa: ASYNC110 - readiness is a set of checks, polled as /readyz does
            await asyncio.sleep(0.05)
        async with service.outbox.begin() as uow:  # recorded as checked: only our sync reads it
            checked = datetime.now(UTC)
            uow.session.add(Repository(name="big", url=f"file://{repo}", checked_at=checked, refresh_done=1))
        started = time.perf_counter()
        result = await market.syncer.sync("big", requested=True)
        sync_s = time.perf_counter() - started
        assert result is not None and len(result.added) == apps * versions, result
        ratio = sync_s / floor
        print(f"market sync (fetch, parse, check, diff, write, read model): {sync_s:.2f}s = {ratio:.2f}x the floor")

        words = [f"app-{random.randrange(apps):05d}" for _ in range(queries // 2)]
        words += [random.choice(["number", "testing", "scale", "team7", "application 12"]) for _ in range(queries // 4)]
        requests = [{"text": w} for w in words] + [
            {"category": random.choice(CATEGORIES), "limit": 20} for _ in range(queries - len(words))
        ]
        random.shuffle(requests)
        nc = await nats.connect(server.url)
        latencies = []
        for body in requests:
            payload = json.dumps(body).encode()
            started = time.perf_counter()
            reply = await nc.request("qc.query.market.apps", payload, timeout=10)
            latencies.append((time.perf_counter() - started) * 1000)
            assert "apps" in json.loads(reply.data)
        await nc.close()
        await service.stop()

    figures = {
        "sync_s": round(sync_s, 3),
        "parse_floor_s": round(floor, 3),
        "sync_ratio": round(sync_s / floor, 2),
        "search_p50_ms": round(statistics.median(latencies), 2),
        "search_p99_ms": round(percentile(latencies, 0.99), 2),
    }
    p50, p99 = figures["search_p50_ms"], figures["search_p99_ms"]
    print(f"search over NATS, {len(latencies)} queries: p50 {p50} ms, p99 {p99} ms")
    print(f"sync ratio {figures['sync_ratio']} (goal within 3x); search p99 goal under 20 ms")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 versions and 200 queries, under a minute")
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.quick, args.database_url))))


if __name__ == "__main__":
    main()
