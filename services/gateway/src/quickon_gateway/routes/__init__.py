"""The API's routes, one module per resource; :func:`include` adds them all to the app."""

from __future__ import annotations

from fastapi import FastAPI

from . import (
    alerts,
    apps,
    audit,
    backups,
    channels,
    cluster,
    events,
    exposure,
    metrics,
    operations,
    platform,
    repositories,
    scans,
    secrets,
    services,
    transfer,
)


def include(app: FastAPI) -> None:
    """Add every resource's routes to ``app``."""
    for module in (
        apps,
        repositories,
        services,
        exposure,
        scans,
        secrets,
        backups,
        transfer,
        channels,
        operations,
        events,
        audit,
        platform,
        cluster,
        alerts,
        metrics,
    ):
        app.include_router(module.router)
