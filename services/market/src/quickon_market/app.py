"""Wiring of the market service: its tables, consumers and queries (the domain comes with its issue)."""

from __future__ import annotations

from quickon_common.service import Service
from quickon_common.settings import Settings


def create_service(settings: Settings | None = None) -> Service:
    """The market service, ready to run."""
    return Service("market", settings=settings)
