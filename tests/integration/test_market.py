"""The market against a real nats-server and both databases: repositories become a catalog."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from quickon_common.contracts.market import (
    AppVersionAdded,
    CatalogSynced,
    RepositoryAdded,
    RepositoryAddRequested,
    RepositoryFailed,
    RepositoryRefreshRequested,
    RepositoryRemoveRequested,
)
from quickon_common.envelope import decode
from quickon_common.natsserver import NatsServer
from quickon_market.models import CatalogVersion, Repository
from support.bus import connect, events, eventually, publish, running
from support.charts import big_index, changes_annotation, write_repository
from support.market import ask, market_parts, market_service, repository_state, wait_repository

CATALOG = Path(__file__).parents[2] / "catalog"


def sample_repository(directory: Path) -> Path:
    return write_repository(
        directory,
        [
            {"name": "wiki", "version": "1.0.0", "app_version": "3.1", "keywords": ["wiki", "docs"],
             "annotations": {"artifacthub.io/category": "skills", "quickon.io/title": "Team Wiki",
                             "artifacthub.io/changes": changes_annotation(("added", "first release"))}},
            {"name": "wiki", "version": "1.1.0", "app_version": "3.2", "keywords": ["wiki", "docs"],
             "annotations": {"artifacthub.io/category": "skills", "quickon.io/title": "Team Wiki",
                             "artifacthub.io/containsSecurityUpdates": "true",
                             "artifacthub.io/changes": changes_annotation(("security", "fixes CVE-2026-0001"))}},
            {"name": "wiki", "version": "2.0.0", "app_version": "4.0", "keywords": ["wiki", "docs"],
             "annotations": {"artifacthub.io/category": "skills", "quickon.io/title": "Team Wiki",
                             "quickon.io/breaking": "true",
                             "artifacthub.io/changes": changes_annotation(("changed", "new storage layout"))}},
            {"name": "wiki", "version": "2.1.0-rc.1", "app_version": "4.1-rc1",
             "annotations": {"artifacthub.io/prerelease": "true"}},
            {"name": "cache", "version": "0.3.0", "keywords": ["cache", "kv"], "description": "An in-memory store",
             "annotations": {"artifacthub.io/category": "database"}},
        ],
    )  # fmt: skip


@pytest.fixture
def http_repository(tmp_path: Path) -> Iterator[str]:
    """The sample repository served by a local HTTP server."""
    sample_repository(tmp_path / "charts")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/charts"
    server.shutdown()


async def add(nats_url: str, name: str, url: str) -> None:
    await publish(nats_url, RepositoryAddRequested(repository=name, url=url, operation_id=f"op-{name}"))


async def test_a_local_repository_becomes_a_searchable_catalog(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    repo = sample_repository(tmp_path / "repo")
    service = market_service(nats_server.url, database_url, tmp_path / "var")
    async with running(service):
        await add(nats_server.url, "team", str(repo))
        await wait_repository(nats_server.url, "team", "ok", apps=2)

        found = await ask(nats_server.url, "apps", text="wiki")
        assert [a["id"] for a in found["apps"]] == ["team/wiki"]
        wiki = found["apps"][0]
        assert (wiki["title"], wiki["latest_version"], wiki["versions"]) == ("Team Wiki", "2.0.0", 4)
        assert [a["name"] for a in (await ask(nats_server.url, "apps", category="database"))["apps"]] == ["cache"]
        assert [a["name"] for a in (await ask(nats_server.url, "apps", keyword="kv"))["apps"]] == ["cache"]
        assert (await ask(nats_server.url, "apps", text="memory store"))["apps"][0]["name"] == "cache"
        assert (await ask(nats_server.url, "categories"))["categories"] == {"database": 1, "skills": 1}

        detail = await ask(nats_server.url, "app", app="wiki")
        assert [v["version"] for v in detail["version_list"]] == ["2.1.0-rc.1", "2.0.0", "1.1.0", "1.0.0"]
        assert detail["version_list"][2]["changes"] == [
            {"kind": "security", "description": "fixes CVE-2026-0001", "links": []}
        ]

        version = await ask(nats_server.url, "version", app="team/wiki", version="1.1.0")
        assert version["values"]["replicaCount"] == 1
        assert "# pods to run" in version["values_yaml"]
        assert version["schema"]["properties"]["replicaCount"]["type"] == "integer"
        assert sorted(version["secret_paths"]) == ["admin.password", "apiToken"]
        assert version["readme"].startswith("# wiki")

        upgrades = await ask(nats_server.url, "upgrades", app="wiki", version="1.0.0")
        assert [v["version"] for v in upgrades["newer"]] == ["1.1.0", "2.0.0"]
        assert [c["description"] for v in upgrades["newer"] for c in v["changes"]] == [
            "fixes CVE-2026-0001",
            "new storage layout",
        ]
        assert (upgrades["latest"], upgrades["contains_security_updates"], upgrades["breaking"]) == (
            "2.0.0",
            True,
            True,
        )
        with_pre = await ask(nats_server.url, "upgrades", app="wiki", version="2.0.0", include_prerelease=True)
        assert [v["version"] for v in with_pre["newer"]] == ["2.1.0-rc.1"]

        valid = await ask(
            nats_server.url,
            "validate",
            app="wiki",
            version="1.1.0",
            values={"replicaCount": 2, "admin": {"password": "s3cret"}},
        )
        assert (valid["valid"], valid["errors"], valid["secret_paths_given"]) == (True, [], ["admin.password"])
        invalid = await ask(
            nats_server.url, "validate", app="wiki", values={"replicaCount": "three", "admin": {"user": 7}}
        )
        assert invalid["valid"] is False
        assert [(e["path"], e["message"]) for e in invalid["errors"]] == [
            ("admin.user", "must be a string"),
            ("replicaCount", "must be an integer"),
        ]
        assert (await ask(nats_server.url, "validate", app="wiki", values=[1]))["error"]["status"] == 422

        assert (await ask(nats_server.url, "app", app="nope"))["error"]["status"] == 404
        assert (await ask(nats_server.url, "version", app="wiki", version="9.9.9"))["error"]["status"] == 404
        assert "limit" in (await ask(nats_server.url, "apps", limit=100000))["error"]["detail"]
        assert (await ask(nats_server.url, "apps", unknown=1))["error"]["status"] == 422

    added = [e for e, _ in await events(nats_server.url, "qc.market.repository.added")]
    # The built-in "local" is added as the market starts, beside the request for "team": either may be first.
    assert sorted(e.repository for e in added if isinstance(e, RepositoryAdded)) == ["local", "team"]
    synced = [e for e, _ in await events(nats_server.url, CatalogSynced.subject) if isinstance(e, CatalogSynced)]
    team = [e for e in synced if e.repository == "team"]
    assert (team[0].added, team[0].updated, team[0].removed, team[0].total_versions) == (5, 0, 0, 5)
    assert team[0].operation_id == "op-team"  # the add ends with its first sync


async def test_an_http_repository_is_read_and_refreshed(
    nats_server: NatsServer, database_url: str, tmp_path: Path, http_repository: str
) -> None:
    service = market_service(nats_server.url, database_url, tmp_path / "var")
    async with running(service):
        await add(nats_server.url, "remote", http_repository)
        await wait_repository(nats_server.url, "remote", "ok", apps=2)
        version = await ask(nats_server.url, "version", app="remote/cache")
        assert version["version"] == "0.3.0" and version["values"]["admin"]["user"] == "admin"

        cache = {"name": "cache", "keywords": ["cache", "kv"], "description": "An in-memory store",
                 "annotations": {"artifacthub.io/category": "database"}}  # fmt: skip
        write_repository(tmp_path / "charts", [{**cache, "version": "0.3.0"}, {"name": "cache", "version": "0.4.0"}])
        await publish(nats_server.url, RepositoryRefreshRequested(repository="remote", operation_id="op-refresh"))
        await wait_repository(nats_server.url, "remote", "ok", apps=1)
        assert (await ask(nats_server.url, "app", app="remote/cache"))["latest_version"] == "0.4.0"

    synced = [e for e, _ in await events(nats_server.url, CatalogSynced.subject) if isinstance(e, CatalogSynced)]
    remote = [(e.operation_id, e.added, e.removed) for e in synced if e.repository == "remote"]
    assert remote == [("op-remote", 5, 0), ("op-refresh", 1, 4)], "each operation ends with the sync it asked for"

    added = [e for e, _ in await events(nats_server.url, AppVersionAdded.subject) if isinstance(e, AppVersionAdded)]
    assert [(e.app, e.version) for e in added] == [("cache", "0.4.0")], "a first import announces no single versions"


async def test_a_broken_repository_keeps_its_last_good_catalog(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    repo = sample_repository(tmp_path / "repo")
    service = market_service(nats_server.url, database_url, tmp_path / "var")
    async with running(service):
        await add(nats_server.url, "team", str(repo))
        await wait_repository(nats_server.url, "team", "ok", apps=2)
        (repo / "index.yaml").write_text("apiVersion: v1\nentries: [not, a, mapping\n")
        await publish(nats_server.url, RepositoryRefreshRequested(repository="team"))
        state = await wait_repository(nats_server.url, "team", "failed")
        assert "not valid YAML" in state["last_error"]
        assert state["apps"] == 2 and (await ask(nats_server.url, "app", app="team/wiki"))["versions"] == 4

        await add(nats_server.url, "gone", "http://127.0.0.1:9/charts")
        assert "unreachable" in (await wait_repository(nats_server.url, "gone", "failed"))["last_error"]
        await add(nats_server.url, "Bad Name!", str(repo))
        await add(nats_server.url, "team", str(repo))
        await add(nats_server.url, "odd", "ftp://example.com/charts")
        await publish(nats_server.url, RepositoryRemoveRequested(repository="local"))

        async def four_refusals() -> bool:
            return len([e for e, _ in await events(nats_server.url, RepositoryFailed.subject) if e.step != "sync"]) == 4  # type: ignore[attr-defined]

        await eventually(four_refusals, what="four refused repository commands")
        assert await repository_state(nats_server.url, "team") is not None

        await publish(nats_server.url, RepositoryRemoveRequested(repository="team"))
        await eventually(lambda: _absent(nats_server.url, "team"), what="team removed")

        # The catalog's read model drops the repository's apps once the syncer wakes, just after the removal
        # commits (the repositories query reads the table): the app is gone moments later, not in the same read.
        async def app_gone() -> bool:
            answer = await ask(nats_server.url, "app", app="team/wiki")
            return answer.get("error", {}).get("status") == 404

        await eventually(app_gone, what="team/wiki gone from the catalog")

    reasons = sorted(e.reason for e, _ in await events(nats_server.url, RepositoryFailed.subject))  # type: ignore[attr-defined]
    assert any("not a valid repository name" in r for r in reasons)
    assert any("exists already" in r for r in reasons)
    assert any("use an http(s):// URL" in r for r in reasons)
    assert any("built in and cannot be removed" in r for r in reasons)
    unreachable = [e for e, _ in await events(nats_server.url, RepositoryFailed.subject) if e.repository == "gone"]  # type: ignore[attr-defined]
    assert [(e.operation_id, e.step) for e in unreachable] == [("op-gone", "sync")]  # type: ignore[attr-defined]


async def _absent(url: str, name: str) -> bool:
    return await repository_state(url, name) is None


async def test_twenty_thousand_versions_sync_fully_then_only_what_changed(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    repo = tmp_path / "big"
    repo.mkdir()
    (repo / "index.yaml").write_bytes(big_index(2000, 10))
    service = market_service(nats_server.url, database_url, tmp_path / "var")
    async with running(service, timeout_s=60):
        await add(nats_server.url, "big", str(repo))
        await wait_repository(nats_server.url, "big", "ok", apps=2000, timeout_s=120)
        before = await _written(service)
        assert len(before) == 20_000

        changed = {(7, 3), (7, 4), (100, 0), (555, 9), (999, 1), (1000, 2), (1500, 5), (1999, 0), (1999, 9), (3, 3)}
        (repo / "index.yaml").write_bytes(big_index(2000, 10, changed=frozenset(changed)))
        # Heard live rather than read back from the stream: a consumer filtered by subject over 20,000
        # stored messages took longer to create than JetStream's API time on a loaded machine.
        listener = await connect(nats_server.url)
        try:
            synced = await listener.subscribe(CatalogSynced.subject)
            await publish(nats_server.url, RepositoryRefreshRequested(repository="big"))
            while True:
                message = await synced.next_msg(timeout=120)
                event, _ = decode(message.subject, message.headers, message.data)
                # The first, full sync's event may still be on its way: the incremental one adds nothing.
                if isinstance(event, CatalogSynced) and event.repository == "big" and event.added == 0:
                    break
        finally:
            await listener.close()
        after = await _written(service)
        rewritten = {key for key, moment in after.items() if moment != before[key]}
        assert rewritten == {(f"app-{a:05d}", f"{v // 10}.{v % 10}.0") for a, v in changed}
        # 0.9.0 is app-00555's latest version and one of the ten: the read model follows.
        found = await ask(nats_server.url, "apps", text="app-00555")
        assert found["apps"][0]["description"].endswith("(rebuilt)")
        assert (await ask(nats_server.url, "apps", text="app-00556"))["apps"][0]["description"].endswith("scale")

    synced = [e for e, _ in await events(nats_server.url, CatalogSynced.subject) if e.repository == "big"]  # type: ignore[attr-defined]
    assert [(e.added, e.updated, e.removed, e.total_versions) for e in synced] == [
        (20_000, 0, 0, 20_000),
        (0, 10, 0, 20_000),
    ]  # type: ignore[attr-defined]


async def _written(service) -> dict[tuple[str, str], object]:  # type: ignore[no-untyped-def]
    async with service.db.read_session() as session:
        rows = (await session.exec(select(CatalogVersion).where(CatalogVersion.repository == "big"))).all()
    return {(r.app, r.version): r.written_at for r in rows}


async def test_repositories_are_read_again_on_schedule(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    repo = sample_repository(tmp_path / "repo")
    market = market_parts(nats_server.url, database_url, tmp_path / "var", refresh_interval_s=600)
    service = market.service
    async with running(service):
        await add(nats_server.url, "team", str(repo))
        await wait_repository(nats_server.url, "team", "ok", apps=2)
        write_repository(repo, [{"name": "solo", "version": "1.0.0"}])
        await market.syncer.pass_once()
        assert (await repository_state(nats_server.url, "team"))["apps"] == 2, "not due yet: nothing read"  # type: ignore[index]
        async with service.outbox.begin() as uow:  # the last check was eleven minutes ago
            repository = await uow.session.get(Repository, "team")
            assert repository is not None
            repository.checked_at = datetime.now(UTC) - timedelta(minutes=11)
            uow.session.add(repository)
        await market.syncer.pass_once()
        assert (await repository_state(nats_server.url, "team"))["apps"] == 1  # type: ignore[index]


async def test_the_chart_query_hands_out_the_verified_package(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    service = market_service(nats_server.url, database_url, tmp_path / "var", builtin=CATALOG)
    async with running(service):
        await wait_repository(nats_server.url, "builtin", "ok")
        answer = await ask(nats_server.url, "chart", app="redis", version="1.0.1")
        assert (answer["app"], answer["repository"], answer["version"]) == ("builtin/redis", "builtin", "1.0.1")
        package = base64.b64decode(answer["chart"], validate=True)
        assert hashlib.sha256(package).hexdigest() == answer["digest"]
        assert package == (CATALOG / "redis-1.0.1.tgz").read_bytes()
        with tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as archive:
            assert "redis/Chart.yaml" in archive.getnames()
        assert answer["values"]["image"]["tag"] == "7.2.6"
        assert answer["schema"]["type"] == "object" and "auth.password" in answer["secret_paths"]

        assert (await ask(nats_server.url, "chart", app="redis", version="9.9.9"))["error"]["status"] == 404
        assert (await ask(nats_server.url, "chart", app="nope"))["error"]["status"] == 404
        assert (await ask(nats_server.url, "chart", app="redis", values=[1]))["error"]["status"] == 422
        assert (await ask(nats_server.url, "chart", app="redis", colour="red"))["error"]["status"] == 422

        # What the deployer asks: no package (it has it by digest), and whether the values fit.
        checked = await ask(
            nats_server.url,
            "chart",
            app="redis",
            version="1.0.1",
            package=False,
            values={"persistence": {"enabled": "yes"}},
        )
        assert "chart" not in checked and checked["digest"] == answer["digest"]
        assert [(e["path"], e["message"]) for e in checked["errors"]] == [("persistence.enabled", "must be a boolean")]
        fine = await ask(nats_server.url, "chart", app="redis", version="1.0.1", package=False, values={})
        assert fine["errors"] == [] and "errors" not in answer
