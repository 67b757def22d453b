"""Wiring of the gateway: the service (tables, consumers, workers) and its HTTP API, built once."""

from __future__ import annotations

from fastapi import FastAPI

from quickon_common.service import VERSION, Service
from quickon_common.settings import Settings

from . import problems
from .deps import Parts
from .reads import Reads
from .settings import GatewaySettings

DESCRIPTION = """QuickOn's API: the app market, installed services and their operations, events.

Authenticate with a bearer token from `POST /api/v1/auth/token` (or a personal API token).
Commands answer `202` with an operation to follow at `/api/v1/operations/{id}`; errors are
RFC 9457 problem documents whose `detail` says what to do next."""


def create_gateway(settings: Settings | None = None, gateway: GatewaySettings | None = None) -> tuple[Service, FastAPI]:
    """The gateway service and its FastAPI app (``service.run(app)`` serves them)."""
    gateway = gateway or GatewaySettings()
    service = Service("gateway", settings=settings, models=[])
    app = FastAPI(title="QuickOn", version=VERSION, description=DESCRIPTION, max_body_size=gateway.max_body_bytes)
    app.state.parts = Parts(service=service, settings=gateway, reads=Reads(service, timeout_s=gateway.query_timeout_s))
    problems.install(app)
    return service, app
