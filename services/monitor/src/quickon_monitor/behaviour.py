"""Behaviour rules' pure decisions: working hours, and how many hits a window holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def outside_working_hours(at: datetime, *, start_hour: int, end_hour: int, timezone: str) -> bool:
    """Whether ``at`` falls outside Monday-Friday ``start_hour``-``end_hour`` in ``timezone`` (an unknown
    zone is read as UTC)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = at.astimezone(zone)
    if local.weekday() >= 5:
        return True
    return not start_hour <= local.hour < end_hour


def in_window(times: list[datetime], *, now: datetime, window_s: float) -> int:
    """How many of ``times`` fall within the ``window_s`` before ``now`` (``now`` included)."""
    since = now - timedelta(seconds=window_s)
    return sum(1 for t in times if since <= t <= now)
