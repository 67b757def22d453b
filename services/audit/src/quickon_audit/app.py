"""Wiring of the audit service: its tables, consumers and queries (the domain comes with its issue)."""

from __future__ import annotations

from quickon_common.service import Service
from quickon_common.settings import Settings


def create_service(settings: Settings | None = None) -> Service:
    """The audit service, ready to run."""
    return Service("audit", settings=settings)
