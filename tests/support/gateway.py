"""Running the gateway in the test's event loop, and talking to its HTTP API in-process (with httpx, or with
``qc`` run in a worker thread)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from quickon_common.service import Service
from quickon_gateway.app import create_gateway
from quickon_gateway.settings import GatewaySettings
from support.bus import running, settings_for

ADMIN_PASSWORD = "correct-horse-battery"


def gateway_service(nats_url: str, database_url: str, var_dir: Path, **overrides: Any) -> tuple[Service, FastAPI]:
    settings = settings_for("gateway", nats_url=nats_url, database_url=database_url, var_dir=var_dir)
    return create_gateway(settings, GatewaySettings(**{"admin_password": ADMIN_PASSWORD, **overrides}))


def client(app: FastAPI, token: str | None = None) -> httpx.AsyncClient:
    """An HTTP client of ``app`` without a socket (``ASGITransport`` runs no lifespan: start the service)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway", headers=headers)


class LoopTransport(httpx.BaseTransport):
    """``qc``'s synchronous HTTP, run in a worker thread, answered by the gateway app on the test's loop."""

    def __init__(self, app: FastAPI, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> httpx.Response:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._inner.handle_async_request(forwarded)
            return httpx.Response(response.status_code, headers=response.headers, content=await response.aread())

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result()


async def log_in(app: FastAPI, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
    """A session token for ``username``."""
    async with client(app) as http:
        response = await http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@asynccontextmanager
async def gateway(nats_url: str, database_url: str, var_dir: Path, **overrides: Any) -> AsyncIterator[FastAPI]:
    """The gateway, running and ready; yields its app."""
    service, app = gateway_service(nats_url, database_url, var_dir, **overrides)
    async with running(service):
        yield app
