"""The event stream (server-sent events): what arrives, resuming after a sequence, filters, who sees what,
secrets redacted; and live delivery over a real HTTP connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from quickon_common.contracts import REDACTED
from quickon_common.contracts.deploy import ServiceStatusChanged
from quickon_common.envelope import Envelope, encode
from quickon_common.natsserver import NatsServer, free_port
from support.bus import connect, eventually
from support.gateway import client, gateway, log_in
from support.gateway_flows import stack, succeeded

PASSWORD = "an-0ther-s3cret-for-sse"
PUBLISHED_AT_MOST = 10_000  # events the last=N test publishes while it reads


def messages(text: str) -> list[dict[str, Any]]:
    """Each dispatched message of an event stream: its id, event and JSON data (comments skipped)."""
    found = []
    for block in text.split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.splitlines():
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        if "data" in fields:
            found.append({"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])})
    return found


async def read(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    headers = {"Last-Event-ID": str(params.pop("last_event_id"))} if "last_event_id" in params else {}
    response = await http.get("/api/v1/events", params={"follow": "false", **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return messages(response.text)


async def test_events_are_streamed_resumable_filtered_and_redacted(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    async with stack(nats_server.url, database_url, tmp_path) as s:
        http = s.http
        install = {"name": "cache", "app": "redis", "values": {"auth": {"password": PASSWORD}}}
        operation = await succeeded(http, await http.post("/api/v1/services", json=install))

        everything = await read(http, last=10_000)
        ids = [m["id"] for m in everything]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert all(m["event"] == m["data"]["type"] and m["data"]["sequence"] == m["id"] for m in everything)
        mine = [m["data"] for m in everything if m["data"]["data"].get("operation_id") == operation["operation_id"]]
        assert mine[0]["type"] == "io.quickon.deploy.install.requested.v1"
        assert mine[0]["data"]["sealed_values"] == REDACTED and mine[0]["actor"] == "admin"
        assert mine[-1]["type"] == "io.quickon.deploy.install.completed.v1"
        assert {d["correlation_id"] for d in mine} == {mine[0]["id"]}, "one correlation from the request on"
        assert PASSWORD not in json.dumps(everything)
        assert any(m["event"].startswith("io.quickon.iam.") for m in everything), "an admin sees the iam context"

        # Resuming: after a sequence, by header or query, exactly what came later.
        middle = ids[len(ids) // 2]
        later = [m for m in everything if m["id"] > middle]
        assert await read(http, last_event_id=middle) == later
        assert await read(http, after=middle) == later
        assert await read(http, last=3) == everything[-3:]
        assert await read(http) == [], "by default only new events, and follow=false ends at once"
        market = await read(http, last=10_000, context="market")
        assert market and all(m["event"].startswith("io.quickon.market.") for m in market)
        assert (await http.get("/api/v1/events", params={"context": "nope"})).status_code == 422
        bad_id = await http.get("/api/v1/events", params={"follow": "false"}, headers={"Last-Event-ID": "x1"})
        assert bad_id.status_code == 422

        # A user who is not an admin sees no iam events (logins, tokens, users); a viewer of the default team
        # sees its services' events.
        created = await http.post("/api/v1/users", json={"username": "bob", "password": "bobs-password"})
        assert created.status_code == 201, created.text
        joined = await http.post("/api/v1/teams/default/members", json={"username": "bob", "role": "viewer"})
        assert joined.status_code == 200, joined.text
        async with client(s.app, await log_in(s.app, "bob", "bobs-password")) as bob:
            seen = await read(bob, last=10_000)
        assert seen and not [m for m in seen if m["event"].startswith("io.quickon.iam.")]
        assert [m["id"] for m in seen if m["event"].startswith("io.quickon.deploy.")] == [
            m["id"] for m in everything if m["event"].startswith("io.quickon.deploy.")
        ]

        # last=N reads back past the newest events when the reader may see none of them (gateway/events.py reads
        # windows of twice N, growing): another team's 200 events come after the newest bob may see.
        nc = await connect(nats_server.url)
        js = nc.jetstream()
        for number in range(200):
            event = ServiceStatusChanged(service=f"theirs-{number}", namespace="theirs", status="running")
            subject, headers, body = encode(event, Envelope.new(event, source="test", team="theirs"))
            await js.publish(subject, body, headers=headers)
        await nc.close()
        async with client(s.app, await log_in(s.app, "bob", "bobs-password")) as bob:
            everything_bob_sees = await read(bob, last=10_000)
            assert await read(bob, last=2) == everything_bob_sees[-2:]
        assert not [m for m in everything_bob_sees if m["data"]["data"].get("namespace") == "theirs"]


async def test_events_arrive_live_while_following(nats_server: NatsServer, database_url: str, tmp_path: Path) -> None:
    async with stack(nats_server.url, database_url, tmp_path) as s:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(s.app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
        serving = asyncio.create_task(server.serve())
        await eventually(lambda: _started(server), what="the HTTP server to listen")
        token = s.http.headers["Authorization"]
        try:
            base = f"http://127.0.0.1:{port}"
            async with (
                httpx.AsyncClient(base_url=base, headers={"Authorization": token}) as live,
                live.stream("GET", "/api/v1/events", params={"context": "market"}) as stream,
            ):
                assert stream.status_code == 200
                refreshed = await s.http.post("/api/v1/repositories/builtin/refresh")
                op_id = refreshed.json()["operation_id"]
                arrived = await asyncio.wait_for(_first_of(stream, op_id, "catalog.synced"), timeout=60)
            assert arrived["data"]["repository"] == "builtin"
            # The stream's ephemeral consumer is gone with its client.
            await eventually(lambda: _only_durables(nats_server.url), what="the stream's consumer to be deleted")
        finally:
            server.should_exit = True
            await serving


async def _started(server: uvicorn.Server) -> bool:
    return bool(server.started)


async def _first_of(stream: httpx.Response, operation_id: str, kind: str) -> dict[str, Any]:
    block: list[str] = []
    async for line in stream.aiter_lines():
        if line:
            block.append(line)
            continue
        for message in messages("\n".join(block)):
            if message["data"]["data"].get("operation_id") == operation_id and kind in message["event"]:
                return dict(message["data"])
        block = []
    raise AssertionError("the stream ended before the event came")


async def _only_durables(url: str) -> bool:
    connection = await connect(url)
    try:
        consumers = await connection.jetstream().consumers_info("QUICKON")
        return all(c.config.durable_name for c in consumers)
    except AttributeError:
        # nats-server lists a consumer it is deleting at that moment as null, which nats-py cannot read:
        # the deletion is under way, not done; ask again.
        return False
    finally:
        await connection.close()


async def test_last_n_is_exactly_the_newest_n_while_events_are_published(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    # Each call must give the N newest events the stream held as the call began: consecutive, none left
    # out at the new end, none from an older window, while a publisher keeps adding events.
    async with gateway(nats_server.url, database_url, tmp_path) as app, client(app, await log_in(app)) as http:
        nc = await connect(nats_server.url)
        js = nc.jetstream()
        newest = 0

        async def publishing() -> None:
            nonlocal newest
            # Bounded: on a loaded machine a hundred reads may take minutes, and an endless flow would
            # make each read (and the gateway's own consumers in this process) slower still.
            for number in range(1, PUBLISHED_AT_MOST + 1):
                event = ServiceStatusChanged(service=f"svc-{number}", namespace="default", status="running")
                subject, headers, body = encode(event, Envelope.new(event, source="test"))
                newest = (await js.publish(subject, body, headers=headers)).seq
                # A busy platform's pace (hundreds a second), not a flood: the gateway's own consumers
                # read every event in this process too, and a flood would only starve them.
                await asyncio.sleep(0.005)

        publisher = asyncio.create_task(publishing())
        try:
            await eventually(_positive(lambda: newest), what="the first events")
            async with asyncio.timeout(240):  # a read that never answers fails here, not at the suite's timeout
                await reads_are_exact(http, lambda: newest)
        finally:
            publisher.cancel()
            await asyncio.gather(publisher, return_exceptions=True)
            await nc.close()


async def reads_are_exact(http: httpx.AsyncClient, newest: Callable[[], int]) -> None:
    """A hundred ``last=N`` reads, each exactly the newest N events the stream held as it began."""
    for call in range(100):
        count = 3 + call % 6
        before = newest()
        ids = [m["id"] for m in await read(http, last=count)]
        after = newest()
        assert len(ids) == count, (call, ids)
        assert ids == list(range(ids[0], ids[0] + count)), (call, ids)
        assert before <= ids[-1] <= after, (call, before, ids, after)


def _positive(value: Callable[[], int]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return value() > 0

    return check
