"""The gateway keeps answering while the market or NATS is away: reads fail fast with 503 and the reason,
commands are still accepted (the outbox holds them), and everything works again once they are back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from support.bus import eventually, running
from support.deployer import CATALOG
from support.gateway import client, gateway_service, log_in
from support.gateway_flows import accepted, settled
from support.market import market_service, wait_repository


def is_503(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert reason in response.json()["detail"], response.json()["detail"]


async def test_reads_fail_fast_commands_wait_and_all_recovers(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url

    def market() -> Service:
        return market_service(url, f"sqlite:///{tmp_path / 'market.db'}", tmp_path, builtin=CATALOG)

    service, app = gateway_service(url, database_url, tmp_path)
    async with running(service), client(app, await log_in(app)) as http:
        async with running(market()):
            await wait_repository(url, "builtin", "ok")
            assert (await http.get("/api/v1/apps")).status_code == 200

        # The market is stopped: its reads say so (the repositories: catalog answers may come from a short
        # cache); an install cannot be checked; a command is accepted.
        is_503(await http.get("/api/v1/repositories"), "the market service is not running")
        is_503(await http.post("/api/v1/services", json={"name": "x", "app": "redis"}), "market")
        waiting = accepted(await http.post("/api/v1/repositories/builtin/refresh"))
        async with running(market()):
            assert (await http.get("/api/v1/apps")).status_code == 200
            assert (await settled(http, waiting))["state"] == "succeeded"

            # NATS is stopped: reads fail at once with the reason, commands are kept, operations readable.
            await asyncio.to_thread(nats_server.stop)
            await eventually(lambda: _unreachable(http), what="the gateway to notice NATS is gone")
            is_503(await http.get("/api/v1/repositories"), "NATS")
            is_503(await http.get("/api/v1/events", params={"follow": "false"}), "NATS")
            kept = accepted(await http.post("/api/v1/repositories/builtin/refresh"))
            assert (await http.get(f"/api/v1/operations/{kept['operation_id']}")).json()["state"] == "pending"
            assert await service.relay.backlog() > 0, "the request waits in the outbox"

            await asyncio.to_thread(nats_server.start)
            await eventually(lambda: _answers(http), timeout_s=60, what="reads to work again")
            assert (await settled(http, kept))["state"] == "succeeded"


async def _unreachable(http: httpx.AsyncClient) -> bool:
    return (await http.get("/api/v1/repositories")).status_code == 503


async def _answers(http: httpx.AsyncClient) -> bool:
    return (await http.get("/api/v1/repositories")).status_code == 200
