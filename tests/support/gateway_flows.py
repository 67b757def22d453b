"""The gateway with the market and the deployer (sim runtime, built-in catalog), driven over HTTP in-process."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from quickon_common.service import Service
from quickon_deployer.app import DeployerParts
from support.bus import eventually, running
from support.deployer import platform
from support.gateway import client, gateway_service, log_in

DONE = ("succeeded", "failed")


@dataclass
class Stack:
    """The running services and an admin's HTTP client of the gateway."""

    http: httpx.AsyncClient
    gateway: Service
    deployer: DeployerParts
    app: Any  # the gateway's FastAPI app


@asynccontextmanager
async def stack(
    nats_url: str, database_url: str, var_dir: Path, *, deployer: dict[str, Any] | None = None, **gateway: Any
) -> AsyncIterator[Stack]:
    """Market and deployer (each on its own SQLite file; ``deployer`` overrides its FAST settings) and the gateway
    on ``database_url``, sharing ``var_dir`` and so the platform key in ``var_dir/secret.key``."""
    async with platform(nats_url, f"sqlite:///{var_dir / 'deployer.db'}", var_dir, **(deployer or {})) as parts:
        service, app = gateway_service(nats_url, database_url, var_dir, **gateway)
        async with running(service):
            token = await log_in(app)
            async with client(app, token) as http:
                yield Stack(http=http, gateway=service, deployer=parts, app=app)


def accepted(response: httpx.Response) -> dict[str, Any]:
    """The operation of a 202, checked against its Location."""
    assert response.status_code == 202, response.text
    operation: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/v1/operations/{operation['operation_id']}"
    assert operation["state"] == "pending"
    return operation


async def settled(http: httpx.AsyncClient, operation: dict[str, Any] | str, *, timeout_s: float = 90) -> dict[str, Any]:
    """The operation once it has succeeded or failed."""
    op_id = operation if isinstance(operation, str) else operation["operation_id"]
    found: dict[str, Any] = {}

    async def done() -> bool:
        nonlocal found
        response = await http.get(f"/api/v1/operations/{op_id}")
        assert response.status_code == 200, response.text
        found = response.json()
        return found["state"] in DONE

    await eventually(done, timeout_s=timeout_s, what=f"operation {op_id} to end")
    return found


async def succeeded(http: httpx.AsyncClient, response: httpx.Response) -> dict[str, Any]:
    """Follow a command's operation to its end, which must be success."""
    operation = await settled(http, accepted(response))
    assert operation["state"] == "succeeded", operation
    return operation


def steps(operation: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["step"], s["state"]) for s in operation["steps"]]


def since(moment: float) -> float:
    return time.monotonic() - moment
