"""Every bad input to the market is refused with its reason; the catalog stays as it was."""

from __future__ import annotations

import base64
import gzip
import io
import os
import tarfile
from pathlib import Path

import pytest
import yaml

from quickon_common.contracts.market import (
    AppPublished,
    AppPublishFailed,
    RepositoryAddRequested,
    RepositoryFailed,
    RepositoryRefreshRequested,
)
from quickon_common.natsserver import NatsServer
from support.bus import events, eventually, publish, running
from support.charts import chart_tgz, write_repository
from support.market import ask, market_service, wait_repository

CATALOG = Path(__file__).parents[2] / "catalog"
GOOD = [
    {"name": "wiki", "version": "1.0.0"},
    {"name": "wiki", "version": "1.1.0"},
    {"name": "cache", "version": "0.1.0"},
]


def entry(name: str = "wiki", version: str = "1.0.0", **overrides: object) -> dict[str, object]:
    return {
        "apiVersion": "v2",
        "name": name,
        "version": version,
        "digest": "a" * 64,
        "urls": [f"{name}.tgz"],
        **overrides,
    }


def index(entries: dict[str, object]) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "entries": entries})


BILLION_LAUGHS = "apiVersion: v1\nentries:\n  a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)

BAD_INDEXES = [
    ("apiVersion: v1\nentries: {wiki: [}\n", "not valid YAML"),
    ("apiVersion: v2\nentries: {}\n", "apiVersion must be v1"),
    ("apiVersion: v1\n", "no entries mapping"),
    ("- just\n- a list\n", "must be a mapping"),
    (index({"wiki": [entry(digest="nope")]}), "entries.wiki[0]: digest must be a sha256"),
    (index({"wiki": [entry(name="other")]}), "name 'other' does not match its key 'wiki'"),
    (index({"wiki": [entry(version="one")]}), "version 'one' is not a semantic version"),
    (index({"wiki": [entry(), entry()]}), "version 1.0.0 is listed twice"),
    (index({"wiki": [entry(urls=[])]}), "urls must be a non-empty list"),
    (index({"Bad Name": [entry(name="Bad Name")]}), "is not a valid chart name"),
    (BILLION_LAUGHS, "anchors/aliases"),
    ("apiVersion: v1\nentries: {}\n" + "#" * 300_000, "over the limit of 200,000"),
]


async def test_malformed_indexes_are_refused_and_the_catalog_kept(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    repo = write_repository(tmp_path / "repo", GOOD)
    service = market_service(nats_server.url, database_url, tmp_path / "var", max_index_bytes=200_000)
    async with running(service):
        await publish(nats_server.url, RepositoryAddRequested(repository="team", url=str(repo)))
        await wait_repository(nats_server.url, "team", "ok", apps=2)
        for number, (content, reason) in enumerate(BAD_INDEXES, start=1):
            (repo / "index.yaml").write_text(content)
            await publish(nats_server.url, RepositoryRefreshRequested(repository="team"))

            async def refused(count: int = number) -> bool:
                return len(await events(nats_server.url, RepositoryFailed.subject)) >= count

            await eventually(refused, what=f"refusal of {reason!r}")
            state = await wait_repository(nats_server.url, "team", "failed", apps=2)
            assert reason in state["last_error"], (reason, state["last_error"])
            assert (await ask(nats_server.url, "app", app="team/wiki"))["versions"] == 2, "catalog intact"


async def test_charts_that_do_not_match_or_escape_are_refused(nats_server: NatsServer, tmp_path: Path) -> None:
    repo = write_repository(tmp_path / "repo", GOOD)
    document = yaml.safe_load((repo / "index.yaml").read_text())
    document["entries"]["cache"][0]["urls"] = ["../../outside.tgz"]
    (repo / "index.yaml").write_text(yaml.safe_dump(document))
    (repo / "wiki-1.1.0.tgz").write_bytes(chart_tgz("wiki", "1.1.0", description="changed after indexing"))
    service = market_service(nats_server.url, f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "var")
    async with running(service):
        await publish(nats_server.url, RepositoryAddRequested(repository="team", url=str(repo)))
        await wait_repository(nats_server.url, "team", "ok", apps=2)
        tampered = await ask(nats_server.url, "version", app="team/wiki", version="1.1.0")
        assert tampered["error"]["status"] == 502
        assert "the index says" in tampered["error"]["detail"]
        escaping = await ask(nats_server.url, "version", app="team/cache")
        assert "points outside the repository directory" in escaping["error"]["detail"]
        intact = await ask(nats_server.url, "version", app="team/wiki", version="1.0.0")
        assert intact["values"]["replicaCount"] == 1


def member(
    name: str, content: bytes = b"x", kind: bytes = tarfile.REGTYPE, size: int | None = None
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, len(content) if size is None else size
    if kind == tarfile.SYMTYPE:
        info.linkname, info.size = "/etc/passwd", 0
    return info, content


def not_a_chart() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info, content = member("docs/readme.txt", b"hello")
        archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def gzip_bomb() -> bytes:
    """A tar header declaring 1 GiB inside a few kilobytes of gzip."""
    header = tarfile.TarInfo("wiki/huge.bin")
    header.size = 1 << 30
    raw = io.BytesIO()
    raw.write(header.tobuf())
    with gzip.GzipFile(fileobj=(out := io.BytesIO()), mode="wb") as compressed:
        compressed.write(raw.getvalue())
        for _ in range(64):
            compressed.write(b"\0" * (1 << 20))
    return out.getvalue()


BROKEN_TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name\n"
BAD_UPLOADS = [
    (lambda: b"this is not gzip", 422, "not a gzip-compressed tar archive"),
    (not_a_chart, 422, "not a Helm chart: no Chart.yaml"),
    (
        lambda: chart_tgz("wiki", "3.0.0", extra=[member("wiki/../../escape.txt")]),
        422,
        "points outside the chart directory",
    ),
    (lambda: chart_tgz("wiki", "3.0.0", extra=[member("wiki/link", kind=tarfile.SYMTYPE)]), 422, "is a link or device"),
    (gzip_bomb, 422, "unpacks to more than"),
    (lambda: chart_tgz("wiki", "3.0.0", template=BROKEN_TEMPLATE), 422, "helm lint refused wiki 3.0.0"),
    (
        lambda: chart_tgz("wiki", "3.0.0", extra=[member("wiki/blob.bin", os.urandom(300_000))]),
        413,
        "the limit is 200,000",
    ),
]


@pytest.mark.parametrize(("make", "status", "reason"), BAD_UPLOADS, ids=[r for _, _, r in BAD_UPLOADS])
async def test_bad_uploads_are_refused_with_the_reason(
    nats_server: NatsServer, tmp_path: Path, make, status, reason
) -> None:  # type: ignore[no-untyped-def]
    service = market_service(
        nats_server.url, f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "var", max_chart_bytes=200_000
    )
    async with running(service):
        answer = await ask(nats_server.url, "publish", chart=base64.b64encode(make()).decode())
        assert answer["error"]["status"] == status, answer
        assert reason in answer["error"]["detail"], answer
        if "helm lint" in reason:
            assert any("parse error" in m or "unclosed action" in m for m in answer["error"]["messages"]), answer
        assert (await ask(nats_server.url, "apps", repository="local"))["total"] == 0
    failures = [e for e, _ in await events(nats_server.url, AppPublishFailed.subject)]
    assert len(failures) == 1 and reason.split(":")[0] in failures[0].reason  # type: ignore[attr-defined]


async def test_a_published_chart_joins_the_catalog_and_a_version_cannot_change(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    service = market_service(nats_server.url, database_url, tmp_path / "var")
    chart = chart_tgz("ledger", "0.1.0", description="Team ledger")
    async with running(service):
        answer = await ask(nats_server.url, "publish", chart=base64.b64encode(chart).decode())
        assert answer["published"]["app"] == "ledger"
        found = await ask(nats_server.url, "apps", text="ledger")
        assert [a["id"] for a in found["apps"]] == ["local/ledger"]
        assert (await ask(nats_server.url, "version", app="local/ledger"))["readme"].startswith("# ledger")
        again = await ask(nats_server.url, "publish", chart=base64.b64encode(chart).decode())
        assert again["published"]["digest"] == answer["published"]["digest"], "the same bytes again are accepted"
        other = chart_tgz("ledger", "0.1.0", description="Something else")
        conflict = await ask(nats_server.url, "publish", chart=base64.b64encode(other).decode())
        assert conflict["error"]["status"] == 409 and "bump the chart version" in conflict["error"]["detail"]
        assert (await ask(nats_server.url, "publish", chart="%%%"))["error"]["status"] == 422
    published = [e for e, _ in await events(nats_server.url, AppPublished.subject)]
    assert [(e.app, e.version) for e in published] == [("ledger", "0.1.0"), ("ledger", "0.1.0")]  # type: ignore[attr-defined]


async def test_the_built_in_catalog_offers_real_apps_with_upgrades(nats_server: NatsServer, tmp_path: Path) -> None:
    service = market_service(nats_server.url, f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "var", builtin=CATALOG)
    async with running(service):
        await wait_repository(nats_server.url, "builtin", "ok")
        apps = (await ask(nats_server.url, "apps", repository="builtin", include_deprecated=True))["apps"]
        names = {a["name"] for a in apps}
        assert {
            "gitea",
            "wordpress",
            "nextcloud",
            "jenkins",
            "zentao",
            "redis",
            "postgresql",
            "minio",
            "uptime-kuma",
        } <= names
        assert all(a["versions"] >= 2 for a in apps)
        gitea = await ask(nats_server.url, "version", app="gitea")
        assert gitea["schema"]["type"] == "object" and gitea["secret_paths"], gitea["secret_paths"]
        upgrades = await ask(nats_server.url, "upgrades", app="gitea", version="1.0.0")
        assert upgrades["newer"] and all(v["changes"] for v in upgrades["newer"])
        assert (await ask(nats_server.url, "apps", text="git"))["apps"][0]["name"] == "gitea"
        assert "database" in (await ask(nats_server.url, "categories"))["categories"]
