"""Chart scanning speed: the market's scan of each catalog chart version (helm template with its defaults,
then Trivy's misconfiguration and secret checks) against ``trivy config`` alone on the same rendered
manifests (the floor), and a warm re-ask of an unchanged version through the market's query.

Starts its own nats-server; the market runs in this process on SQLite with the built-in catalog.

    uv run python benchmarks/scan.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nats

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from quickon_common.helm import run_helm
from quickon_common.natsserver import NatsServer
from quickon_common.scan_report import split_manifests
from quickon_common.settings import Settings
from quickon_common.trivy import OFFLINE, run_trivy
from quickon_common.trivy_scan import write_manifests
from quickon_market.app import build
from quickon_market.scanning import scan_package
from quickon_market.settings import MarketSettings

CATALOG = Path(__file__).parents[1] / "catalog"
RATIO_GOAL, RESCAN_GOAL_MS = 1.3, 50.0


async def floor_s(package: Path, *, release: str, workdir: Path, cache_dir: Path) -> float:
    """``trivy config`` alone on the manifests the market's scan renders (rendered here, untimed)."""
    rendered = await run_helm("template", release, str(package))
    assert rendered.ok, rendered.stderr
    manifests = workdir / release
    write_manifests(manifests, split_manifests(rendered.stdout))
    started = time.perf_counter()
    result = await run_trivy("config", "--format", "json", *OFFLINE, str(manifests), cache_dir=cache_dir)
    elapsed = time.perf_counter() - started
    assert result.ok and json.loads(result.stdout)["Results"], result.stderr
    return elapsed


async def ours_s(package: Path, *, release: str, cache_dir: Path) -> float:
    data = package.read_bytes()  # noqa: ASYNC240 (a small file, read before the clock starts)
    started = time.perf_counter()
    report = await scan_package(data, release=release, cache_dir=cache_dir)
    elapsed = time.perf_counter() - started
    assert report["images"], f"{package.name}: no image found"
    return elapsed


async def rescan_ms(tmp: Path, app: str, version: str, asks: int) -> float:
    """The median time of a warm ask (the report kept) over NATS, as the gateway asks."""
    with NatsServer(tmp / "nats") as server:
        settings = Settings(
            service="market", nats_url=server.url, var_dir=tmp / "var", log_json=False,
            database_url=f"sqlite:///{tmp}/market.db",
        )  # fmt: skip
        service = build(settings, MarketSettings(builtin_catalog=CATALOG)).service
        await service.start()
        while any(reason is not None for reason in service.all_checks().values()):  # noqa: ASYNC110 (polled, as tests do)
            await asyncio.sleep(0.1)
        nc = await nats.connect(server.url)
        payload = json.dumps({"app": app, "version": version, "wait_s": 10}).encode()
        try:
            deadline = time.monotonic() + 300
            while True:  # the first ask scans it (the catalog's newest versions may be scanning too)
                reply = json.loads((await nc.request("qc.query.market.scan", payload, timeout=30)).data)
                if reply.get("state") in ("done", "failed") or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert reply.get("state") == "done", reply
            latencies = []
            for _ in range(asks):
                started = time.perf_counter()
                again = json.loads((await nc.request("qc.query.market.scan", payload, timeout=10)).data)
                latencies.append((time.perf_counter() - started) * 1000)
                assert again["scanned_at"] == reply["scanned_at"], "scanned again"
        finally:
            await nc.close()
            await service.stop()
    return statistics.median(latencies)


async def run(quick: bool) -> dict[str, float]:
    packages = sorted(CATALOG.glob("*.tgz"))
    if quick:  # one version of each of a few apps
        packages = [p for p in packages if p.name.endswith("-1.0.0.tgz")][:5]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cache_dir = tmp / "trivy"
        # Trivy's first run unpacks its embedded checks into the cache: not what either side measures.
        await floor_s(packages[0], release="warmup", workdir=tmp / "warm", cache_dir=cache_dir)
        ours_total = floor_total = 0.0
        for package in packages:
            release = package.name.removesuffix(".tgz").rsplit("-", 1)[0]
            floor = await floor_s(package, release=release, workdir=tmp / "floor", cache_dir=cache_dir)
            ours = await ours_s(package, release=release, cache_dir=cache_dir)
            ours_total, floor_total = ours_total + ours, floor_total + floor
            print(f"{package.name:32} ours {ours:5.2f}s   trivy config alone {floor:5.2f}s   x{ours / floor:.2f}")
        ratio = ours_total / floor_total
        print(f"{len(packages)} chart versions: ours {ours_total:.2f}s, floor {floor_total:.2f}s")
        newest = packages[-1].name.removesuffix(".tgz")
        app, version = newest.rsplit("-", 1) if "-beta" not in newest else ("uptime-kuma", "2.0.0-beta.0")
        rescan = await rescan_ms(tmp / "market", app, version, 50 if quick else 200)
    ratio_met = "met" if ratio <= RATIO_GOAL else "NOT met"
    rescan_met = "met" if rescan <= RESCAN_GOAL_MS else "NOT met"
    print(f"scan ratio {ratio:.2f} (goal <= {RATIO_GOAL}: {ratio_met})")
    print(
        f"warm re-scan of {app} {version} over NATS: {rescan:.1f} ms median "
        f"(goal <= {RESCAN_GOAL_MS:.0f} ms: {rescan_met})"
    )
    return {"scan_ratio": round(ratio, 3), "rescan_ms": round(rescan, 2), "versions": len(packages)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="five chart versions, under a minute")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.quick))))


if __name__ == "__main__":
    main()
