"""Wiring of the gateway: the service (tables, consumers, workers) and its HTTP API, built once."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from quickon_common.sealing import Sealer
from quickon_common.service import VERSION, Service
from quickon_common.settings import Settings

from . import console, problems, routes, stalled, tracking
from .auth.first_admin import ensure_first_admin
from .auth.routes import router as auth_router
from .auth.throttle import LoginThrottle
from .auth.tokens import TokenStore
from .auth.users import router as users_router
from .deps import Parts
from .guard import RateLimited, SecurityHeaders
from .iam_events import IamFollower
from .limits import RateLimit
from .migrations import MIGRATIONS
from .probes import shown_to
from .problems import BodyLimit
from .reads import Reads
from .settings import GatewaySettings
from .teams.directory import Directory
from .teams.routes import router as teams_router

CHARTS = "/api/v1/charts"  # chart uploads and bundle imports: the paths that take large bodies
IMPORTS = "/api/v1/imports"
DESCRIPTION = """QuickOn's API: the app market, installed services and their operations, events.

Authenticate with a bearer token from `POST /api/v1/auth/token` (or a personal API token).
Commands answer `202` with an operation to follow at `/api/v1/operations/{id}`; errors are
RFC 9457 problem documents whose `detail` says what to do next."""
# Swagger UI's and ReDoc's scripts and styles, served by the gateway (a CDN would leave /docs blank offline).
DOCS_ASSETS = "/docs/assets"


def create_gateway(settings: Settings | None = None, gateway: GatewaySettings | None = None) -> tuple[Service, FastAPI]:
    """The gateway service and its FastAPI app (``service.run(app)`` serves them)."""
    gateway = gateway or GatewaySettings()
    service = Service("gateway", settings=settings, migrations=MIGRATIONS)
    first_password = gateway.admin_password
    service.prepares(lambda: ensure_first_admin(service, first_password))
    app = FastAPIOffline(
        static_url=DOCS_ASSETS,
        title="QuickOn",
        version=VERSION,
        description=DESCRIPTION,
        responses=problems.RESPONSES,
        # FastAPI's own telemetry costs a third of a small request; problems.RequestIdentity makes the
        # one server span a request needs (traceparent in and out), and metrics are Prometheus's.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    follower = IamFollower(service)
    app.state.parts = Parts(
        service=service,
        settings=gateway,
        reads=Reads(
            service,
            timeout_s=gateway.query_timeout_s,
            cache_s=gateway.catalog_cache_s,
            recent_s=gateway.overview_cache_s,
        ),
        tokens=TokenStore(service.db, follower, cache_s=gateway.token_cache_s),
        directory=Directory(service.db, follower, cache_s=gateway.token_cache_s),
        sealer=Sealer.platform(service.settings),
        login=LoginThrottle(gateway),
    )
    service.shows_details = shown_to(internal_port=gateway.internal_port, tokens=app.state.parts.tokens)
    tracking.register(service)
    stalled.register(service, deadline_s=gateway.operation_deadline_s)
    service.runs(app.state.parts.reads.follow_catalog)
    service.runs(follower.follow)
    app.add_middleware(RateLimited, rate=RateLimit(per_s=gateway.rate_per_s, burst=gateway.rate_burst))
    limits = {
        CHARTS: BodyLimit(gateway.max_chart_bytes, "QC_GATEWAY_MAX_CHART_BYTES"),
        IMPORTS: BodyLimit(gateway.import_max_bytes, "QC_GATEWAY_IMPORT_MAX_BYTES"),
    }
    other = BodyLimit(gateway.max_body_bytes, "QC_GATEWAY_MAX_BODY_BYTES")
    problems.install(app, body_limit=lambda path: limits.get(path, other))
    app.add_middleware(SecurityHeaders)  # added last: outermost, so every answer has them
    # A request is matched against each router's routes in turn: the catalog, the busiest read, comes first.
    routes.include(app)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(teams_router)
    console.install(app, gateway.console_dir or console.default_root())
    return service, app
