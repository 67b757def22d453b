"""Security scans of chart versions with the real helm and the real Trivy, through the market's query."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from sqlmodel import select

from quickon_common.contracts.market import RepositoryAddRequested
from quickon_common.natsserver import NatsServer
from quickon_market.models import ChartScan
from support.bus import eventually, publish, running
from support.gateway_flows import stack, succeeded
from support.market import ask, market_parts, wait_repository
from support.scan_charts import PINNED, risky_repository

CATALOG = Path(__file__).parents[2] / "catalog"


async def scanned(nats_url: str, app: str, version: str) -> dict[str, object]:
    """The version's report, once its scan has ended."""
    report: dict[str, object] = {}

    async def done() -> bool:
        nonlocal report
        report = await ask(nats_url, "scan", app=app, version=version, wait_s=10)
        assert not isinstance(report.get("error"), dict), report  # a refusal, not the report's own error
        return report["state"] != "scanning"

    await eventually(done, timeout_s=240, what=f"the scan of {app} {version}")
    return report


async def test_a_privileged_container_and_a_committed_private_key_are_found(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    repo = risky_repository(tmp_path / "repo")
    market = market_parts(nats_server.url, database_url, tmp_path / "var")
    async with running(market.service):
        await publish(nats_server.url, RepositoryAddRequested(repository="mine", url=str(repo)))
        await wait_repository(nats_server.url, "mine", "ok", apps=1)
        report = await scanned(nats_server.url, "risky", "1.0.0")

        assert report["state"] == "done" and report["scanner"] == "trivy 0.76.0"
        findings = report["findings"]
        assert isinstance(findings, list)
        privileged = [f for f in findings if f["id"] == "KSV-0017"]
        assert privileged, [f["id"] for f in findings]
        assert privileged[0]["severity"] == "HIGH" and privileged[0]["title"] == "Privileged"
        assert (privileged[0]["object_kind"], privileged[0]["object_name"]) == ("Deployment", "risky")
        assert "privileged" in privileged[0]["resolution"]
        keys = [f for f in findings if f["kind"] == "secret"]
        assert [(k["id"], k["file"], k["severity"]) for k in keys] == [("private-key", "files/tls.key", "HIGH")]
        counts = report["counts"]
        assert isinstance(counts, dict) and counts["HIGH"] == sum(1 for f in findings if f["severity"] == "HIGH") >= 2
        images = {i["image"]: i for i in report["images"]}  # type: ignore[attr-defined]
        assert images["nginx:1.27"] == {"image": "nginx:1.27", "repository": "nginx", "tag": "1.27", "digest": None}
        assert images[PINNED]["repository"] == "registry.example.com:5000/tools/sidecar"
        assert (images[PINNED]["tag"], images[PINNED]["digest"]) == ("2.1", "sha256:" + "ab" * 32)
        assert report["digest"] == yaml.safe_load((repo / "index.yaml").read_text())["entries"]["risky"][0]["digest"]

        # Kept by digest: asked again, the same report, not a new scan.
        again = await ask(nats_server.url, "scan", app="risky", version="1.0.0", wait_s=0)
        assert again == report
        async with market.service.db.read_session() as session:
            assert len((await session.exec(select(ChartScan))).all()) == 1

        # Wrong questions: a clear refusal, nothing scanned.
        assert (await ask(nats_server.url, "scan", app="risky", version="9.9.9"))["error"]["status"] == 404
        assert (await ask(nats_server.url, "scan", app="nope"))["error"]["status"] == 404
        assert (await ask(nats_server.url, "scan", app="risky", wait_s=99))["error"]["status"] == 422
        assert (await ask(nats_server.url, "scan", app="risky", colour="red"))["error"]["status"] == 422


# The one serious finding left, and why it is not fixed: ZenTao's image (quicklyon/zentao-docker) writes
# php.ini, its Apache site, its s6 services and links into /apps at every start, and stops at the first write
# that fails; volumes over those paths would hide the image's own files. Its container keeps a writable root
# (catalog/src/zentao/values.yaml says so) until the image can run read-only. Any other finding fails the test.
KNOWN = {f"zentao {v}": ["KSV-0014 Root file system is not read-only (Deployment/zentao)"] for v in ("1.0.0", "2.0.0")}


async def test_the_catalog_charts_scan_with_no_high_or_critical_finding(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    # SQLite only: the database does not change a chart's findings, and the time is Trivy's.
    database_url = f"sqlite:///{tmp_path / 'market.db'}"
    market = market_parts(nats_server.url, database_url, tmp_path / "var", builtin=CATALOG)
    async with running(market.service):
        await wait_repository(nats_server.url, "builtin", "ok")
        index = yaml.safe_load((CATALOG / "index.yaml").read_text())
        versions = [(app, entry["version"]) for app, entries in sorted(index["entries"].items()) for entry in entries]
        two_at_a_time = asyncio.Semaphore(2)  # half the time of one by one, without crowding CI's cores

        async def serious_findings(app: str, version: str) -> list[str]:
            async with two_at_a_time:
                report = await scanned(nats_server.url, app, version)
            assert report["state"] == "done", report
            assert report["images"], f"{app} {version} names no image"
            return [
                f"{f['id']} {f['title']} ({f['object_kind']}/{f['object_name']})"
                for f in report["findings"]  # type: ignore[attr-defined]
                if f["severity"] in ("HIGH", "CRITICAL")
            ]

        found = await asyncio.gather(*(serious_findings(app, version) for app, version in versions))
        serious = {f"{app} {version}": f for (app, version), f in zip(versions, found, strict=True) if f}
        assert serious == KNOWN


async def test_the_gateway_answers_a_scan_once_it_has_run(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    repo = risky_repository(tmp_path / "charts")
    async with stack(nats_server.url, database_url, tmp_path / "var") as s:
        await succeeded(s.http, await s.http.post("/api/v1/repositories", json={"name": "team", "url": str(repo)}))
        answer: dict[str, object] = {}

        async def ready() -> bool:
            nonlocal answer
            response = await s.http.get("/api/v1/apps/risky/versions/1.0.0/scan")
            assert response.status_code in (200, 202), response.text
            answer = response.json()
            assert (response.status_code == 202) == (answer["state"] == "scanning")
            return response.status_code == 200

        await eventually(ready, timeout_s=240, what="the gateway's scan report")
        assert answer["app"] == "team/risky" and "KSV-0017" in {f["id"] for f in answer["findings"]}  # type: ignore[attr-defined]
        latest = await s.http.get("/api/v1/apps/risky/versions/latest/scan")
        assert latest.status_code == 200 and latest.json() == answer
        missing = await s.http.get("/api/v1/apps/risky/versions/9.9.9/scan")
        assert missing.status_code == 404 and "9.9.9" in missing.json()["detail"]
        bad = await s.http.get("/api/v1/apps/risky/versions/..%2Fx/scan")
        assert bad.status_code in (404, 422)
