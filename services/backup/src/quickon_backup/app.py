"""Wiring of the backup service: its tables, consumers and queries (the domain comes with its issue)."""

from __future__ import annotations

from quickon_common.service import Service
from quickon_common.settings import Settings


def create_service(settings: Settings | None = None) -> Service:
    """The backup service, ready to run."""
    return Service("backup", settings=settings)
