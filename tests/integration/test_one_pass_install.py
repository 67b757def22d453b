"""One-pass install (issue 15): the gateway's check pins the chart (repository, version, digest) and the
secret paths in the request; the deployer installs exactly that package without asking the market again,
keeps the values as the gateway split them, and so no secret is ever in clear in an event or at rest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from nats.aio.msg import Msg

from quickon_common.contracts.deploy import (
    AppInstalled,
    AppInstallFailed,
    AppInstallRequested,
    AppUpgradeRequested,
)
from quickon_common.natsserver import NatsServer
from support.bus import connect, events, stream_messages
from support.deployer import CATALOG, finished, outcome, request
from support.gateway_flows import accepted, settled, stack, succeeded

PASSWORD = "one-pass-Redis-pa55word"
TOKEN = "one-pass-exporter-t0ken"  # under a key naming a credential that the chart's schema does not mark
REDIS_1_0_0 = hashlib.sha256((CATALOG / "redis-1.0.0.tgz").read_bytes()).hexdigest()
REDIS_1_0_1 = hashlib.sha256((CATALOG / "redis-1.0.1.tgz").read_bytes()).hexdigest()


@asynccontextmanager
async def market_queries(nats_url: str) -> AsyncIterator[list[tuple[str, dict[str, object]]]]:
    """Every query the market is asked while inside, as (name, body): a plain subscriber sees each request."""
    asked: list[tuple[str, dict[str, object]]] = []

    async def seen(msg: Msg) -> None:
        asked.append((msg.subject.rsplit(".", 1)[-1], json.loads(msg.data)))

    nc = await connect(nats_url)
    try:
        await nc.subscribe("qc.query.market.>", cb=seen)
        await nc.flush()
        yield asked
    finally:
        await nc.close()


def files_holding(directory: Path, pattern: str, text: str) -> list[str]:
    """The files (a SQLite database and its journal) that hold ``text`` in clear."""
    return [path.name for path in directory.glob(pattern) if text.encode() in path.read_bytes()]


async def test_an_install_is_pinned_at_the_gateway_and_the_deployer_asks_the_market_only_for_the_package(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    async with stack(url, database_url, tmp_path) as s:
        values = {"auth": {"password": PASSWORD}}
        with_values = {"app": "redis", "version": "1.0.0", "values": values}
        async with market_queries(url) as asked:
            await succeeded(s.http, await s.http.post("/api/v1/services", json={"name": "first", **with_values}))
        # The gateway's check, then the deployer's one fetch of a package it has not cached yet, by its pin.
        assert [name for name, _ in asked] == ["validate", "chart"], asked
        pin = {k: asked[1][1].get(k) for k in ("app", "repository", "version", "package")}
        assert pin == {"app": "redis", "repository": "builtin", "version": "1.0.0", "package": True}

        async with market_queries(url) as asked:
            await succeeded(s.http, await s.http.post("/api/v1/services", json={"name": "second", **with_values}))
        assert [name for name, _ in asked] == ["validate"], "the deployer asked the market again"

        # A preview that keeps the version needs that version's chart once, not twice.
        async with market_queries(url) as asked:
            preview = await s.http.post("/api/v1/services/second/upgrade/preview", json={"version": "1.0.0"})
            assert preview.status_code == 200 and preview.json()["values_valid"], preview.text
        assert [name for name, _ in asked] == ["chart"], asked

    requested = [e for e, _ in await events(url, AppInstallRequested.subject)]
    for event in requested:
        assert isinstance(event, AppInstallRequested)
        assert (event.repository, event.version, event.digest) == ("builtin", "1.0.0", REDIS_1_0_0)
        assert event.secret_paths == ["auth.password"] and event.values == {"auth": {}} and event.sealed_values
    assert not [m.subject for m in await stream_messages(url) if PASSWORD.encode() in m.data]


async def test_secret_values_stay_sealed_in_events_and_at_rest(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    # The chart marks auth.password secret; metrics.token only names a credential. Both are sealed at the
    # gateway, and the deployer keeps them so: neither is in clear in its database.
    values = {"auth": {"password": PASSWORD}, "metrics": {"token": TOKEN}, "replicaCount": 1}
    async with stack(url, database_url, tmp_path) as s:
        install = {"name": "sealed", "app": "redis", "version": "1.0.0", "values": values}
        await succeeded(s.http, await s.http.post("/api/v1/services", json=install))
        service = (await s.http.get("/api/v1/services/sealed")).json()
        masked = {"auth": {"password": "********"}, "metrics": {"token": "********"}, "replicaCount": 1}
        assert service["values"] == masked, "shown masked: set, but not what"
        assert service["secret_values"] == ["auth.password", "metrics.token"]

        upgrade = {"version": "1.0.1", "values": {"metrics": {"token": f"{TOKEN}-2"}}, "backup_first": False}
        await succeeded(s.http, await s.http.post("/api/v1/services/sealed/upgrade", json=upgrade))
        after = (await s.http.get("/api/v1/services/sealed")).json()
        assert after["values"] == service["values"] and after["version"] == "1.0.1"
        assert after["secret_values"] == ["auth.password", "metrics.token"]

    [upgraded] = [e for e, _ in await events(url, AppUpgradeRequested.subject)]
    assert isinstance(upgraded, AppUpgradeRequested)
    assert (upgraded.repository, upgraded.version, upgraded.digest) == ("builtin", "1.0.1", REDIS_1_0_1)
    for secret in (PASSWORD, TOKEN):
        assert not [m.subject for m in await stream_messages(url) if secret.encode() in m.data], secret
        assert files_holding(tmp_path, "deployer.db*", secret) == [], f"{secret} in clear in the deployer's database"


async def test_a_bad_pin_is_refused_and_an_unpinned_request_still_installs(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    async with stack(url, database_url, tmp_path) as s:
        pinned = {"app": "redis", "repository": "builtin", "version": "1.0.0"}

        # A digest that is not the package's: the deployer fetches the package and refuses what it gets.
        other = AppInstallRequested(service="wrong", **pinned, digest=REDIS_1_0_1, secret_paths=[])
        failed = outcome(await finished(url, await request(url, other)))
        assert isinstance(failed, AppInstallFailed) and failed.step == "resolve", failed
        assert "not the chart that was checked" in failed.reason and REDIS_1_0_1 in failed.reason

        # A pin that cannot be one: refused at once, before anything is asked.
        for bad, why in (
            ({**pinned, "digest": "abc"}, "not a chart digest"),
            ({"app": "redis", "digest": REDIS_1_0_0}, "must name the repository and version"),
        ):
            refused = outcome(await finished(url, await request(url, AppInstallRequested(service="bad", **bad))))
            assert isinstance(refused, AppInstallFailed) and refused.step == "accept", refused
            assert why in refused.reason, refused.reason

        # A request as an earlier gateway (or a restore) sends it: the deployer resolves it itself.
        unpinned = AppInstallRequested(service="old-style", app="redis")
        assert isinstance(outcome(await finished(url, await request(url, unpinned))), AppInstalled)
        service = (await s.http.get("/api/v1/services/old-style")).json()
        assert (service["status"], service["version"]) == ("running", "2.0.0")

        # The install refused for its digest left nothing: its name is free.
        response = await s.http.post("/api/v1/services", json={"name": "wrong", "app": "redis", "version": "1.0.0"})
        assert (await settled(s.http, accepted(response)))["state"] == "succeeded"
