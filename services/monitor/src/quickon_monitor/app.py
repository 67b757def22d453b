"""Wiring of the monitor service: its tables, consumers and queries (the domain comes with its issue)."""

from __future__ import annotations

from quickon_common.service import Service
from quickon_common.settings import Settings

from .migrations import MIGRATIONS


def create_service(settings: Settings | None = None) -> Service:
    """The monitor service, ready to run."""
    return Service("monitor", settings=settings, migrations=MIGRATIONS)
