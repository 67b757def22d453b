"""The market through the gateway: catalog reads, repositories added, refreshed and removed as operations
that end with the sync they asked for, and chart uploads."""

from __future__ import annotations

import asyncio
import http.server
import threading
from pathlib import Path
from typing import Any

from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested
from quickon_common.migrations import migrate
from quickon_common.natsserver import NatsServer
from quickon_market.migrations import MIGRATIONS as MARKET_MIGRATIONS
from quickon_market.models import Repository
from support.bus import eventually, running
from support.charts import chart_tgz, write_repository
from support.deployer import CATALOG, deployer_service, finished, outcome, request
from support.gateway import client, gateway_service, log_in
from support.gateway_flows import accepted, settled, stack, steps, succeeded
from support.market import market_service

BROKEN_TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name \n"


async def test_repositories_are_added_refreshed_and_removed_as_operations(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    repo = write_repository(tmp_path / "team-charts", [{"name": "wiki", "version": "1.0.0"}])
    async with stack(nats_server.url, database_url, tmp_path / "var") as s:
        http = s.http
        added = await succeeded(http, await http.post("/api/v1/repositories", json={"name": "team", "url": str(repo)}))
        assert (added["kind"], added["target"]["repository"]) == ("add_repository", "team")
        assert steps(added) == [("add", "completed"), ("sync", "completed")]
        assert (added["result"]["added"], added["result"]["total_versions"]) == (1, 1)
        # Once the add has succeeded, the catalog lists its apps.
        found = (await http.get("/api/v1/apps", params={"repository": "team"})).json()
        assert [a["id"] for a in found["apps"]] == ["team/wiki"] and found["total"] == 1
        listed = {r["name"]: r for r in (await http.get("/api/v1/repositories")).json()["repositories"]}
        assert listed["team"]["status"] == "ok" and listed["team"]["apps"] == 1

        write_repository(repo, [{"name": "wiki", "version": "1.0.0"}, {"name": "wiki", "version": "1.1.0"}])
        refreshed = await succeeded(http, await http.post("/api/v1/repositories/team/refresh"))
        assert refreshed["result"]["added"] == 1 and steps(refreshed) == [("sync", "completed")]
        upgrades = (await http.get("/api/v1/apps/wiki/upgrades", params={"from_version": "1.0.0"})).json()
        assert [v["version"] for v in upgrades["newer"]] == ["1.1.0"]

        taken = await settled(
            http, accepted(await http.post("/api/v1/repositories", json={"name": "team", "url": "/x"}))
        )
        assert taken["state"] == "failed" and "exists already" in taken["error"]["reason"]
        assert taken["error"]["step"] == "add"
        gone = await http.post("/api/v1/repositories", json={"name": "gone", "url": "http://127.0.0.1:9/charts"})
        unreachable = await settled(http, accepted(gone))
        assert (unreachable["state"], unreachable["error"]["step"]) == ("failed", "sync")
        assert steps(unreachable) == [("add", "completed"), ("sync", "failed")]
        builtin = await settled(http, accepted(await http.delete("/api/v1/repositories/builtin")))
        assert builtin["state"] == "failed" and "built in" in builtin["error"]["reason"]

        removed = await succeeded(http, await http.delete("/api/v1/repositories/team"))
        assert steps(removed) == [("remove", "completed")]
        assert (await http.get("/api/v1/apps/wiki", params={"repository": "team"})).status_code == 404

        bad = await http.post("/api/v1/repositories", json={"name": "Not A Name", "url": str(repo)})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.name"
        assert (await http.post("/api/v1/repositories/UPPER/refresh")).status_code == 422


async def test_the_catalog_is_read_and_charts_are_published(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    # Catalog answers kept for 10 minutes: only the market's events can make a new chart show.
    async with stack(nats_server.url, database_url, tmp_path, catalog_cache_s=600) as s:
        http = s.http
        assert (await http.get("/api/v1/apps", params={"q": "ledger"})).json()["total"] == 0
        apps = (await http.get("/api/v1/apps", params={"q": "redis", "include_deprecated": "true"})).json()
        assert apps["apps"][0]["id"] == "builtin/redis"
        # The search reads its query as one model (routes.params.QueryModel): refused as FastAPI would.
        bad = await http.get("/api/v1/apps", params={"limit": "0", "repository": "UPPER", "unknown": "x"})
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {"query.limit", "query.repository"}
        assert (await http.get("/api/v1/apps/categories")).json()["categories"]["database"] >= 1
        redis = (await http.get("/api/v1/apps/redis")).json()
        assert [v["version"] for v in redis["version_list"]][:1] == [redis["latest_version"]]
        latest = (await http.get("/api/v1/apps/redis/versions/latest")).json()
        assert latest["version"] == redis["latest_version"] and "auth.password" in latest["secret_paths"]
        assert latest["schema"]["type"] == "object" and latest["values_yaml"]
        missing = await http.get("/api/v1/apps/redis/versions/9.9.9")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        assert (await http.get("/api/v1/apps/redis/upgrades")).status_code == 422  # from_version is needed

        chart = chart_tgz("ledger", "0.1.0", description="Team ledger")
        published = await http.post("/api/v1/charts", files={"chart": ("ledger-0.1.0.tgz", chart, "application/gzip")})
        assert published.status_code == 201, published.text
        assert published.json()["published"]["repository"] == "local"
        assert (await http.get("/api/v1/apps/ledger", params={"repository": "local"})).json()["name"] == "ledger"

        async def listed() -> bool:  # the cached empty search was dropped when the market said it published
            return (await http.get("/api/v1/apps", params={"q": "ledger"})).json()["total"] == 1

        await eventually(listed, timeout_s=10, what="the published chart to be found")

        broken = chart_tgz("ledger", "0.2.0", template=BROKEN_TEMPLATE)
        refused = await http.post("/api/v1/charts", files={"chart": ("ledger-0.2.0.tgz", broken, "application/gzip")})
        assert refused.status_code == 422 and "helm lint" in refused.json()["detail"]
        assert refused.json()["messages"]
        empty = await http.post("/api/v1/charts", files={"chart": ("empty.tgz", b"", "application/gzip")})
        assert empty.status_code == 422


class HeldRepository:
    """The built-in catalog served over HTTP, its index.yaml held back until ``release()``: a market's first
    read of its repositories that has not finished yet."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self._released = threading.Event()
        held = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(CATALOG), **kwargs)

            def do_GET(self) -> None:
                if self.path.endswith("index.yaml"):
                    held.asked.set()
                    held._released.wait(60)
                super().do_GET()

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


async def test_an_install_sent_right_after_the_market_starts_succeeds(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    # A market that has just started has not read its repositories yet: until it has, "no such app" is not
    # an answer. The gateway (checking the values) and the deployer (resolving the chart) ask again.
    url, repository = nats_server.url, HeldRepository()
    market = market_service(url, f"sqlite:///{tmp_path / 'market.db'}", tmp_path)
    await migrate(market.db, MARKET_MIGRATIONS)
    async with market.db.session() as session:  # a repository the market has never read
        session.add(Repository(name="team", url=repository.url))
        await session.commit()
    deployer = deployer_service(url, f"sqlite:///{tmp_path / 'deployer.db'}", tmp_path)
    service, app = gateway_service(url, database_url, tmp_path, query_timeout_s=60)
    try:
        async with running(deployer), running(service), client(app, await log_in(app)) as http, running(market):
            await asyncio.to_thread(repository.asked.wait, 30)
            install = {"name": "early", "app": "redis", "version": "1.0.0"}
            through_gateway = asyncio.create_task(http.post("/api/v1/services", json=install))
            direct = await request(url, AppInstallRequested(service="direct", namespace="default", app="redis"))
            # Both questions reach the market while it loads (without the retry the gateway answers 404 now).
            done, _ = await asyncio.wait({through_gateway}, timeout=2)
            assert not done, (await through_gateway).text
            repository.release()
            assert (await settled(http, accepted(await through_gateway)))["state"] == "succeeded"
            assert isinstance(outcome(await finished(url, direct)), AppInstalled)
    finally:
        repository.close()
