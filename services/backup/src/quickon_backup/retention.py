"""Schedules and retention as pure functions of the time they are given (the clock is the caller's).

Retention follows restic's ``forget``: keep the newest ``last`` backups; for ``daily``/``weekly``/
``monthly`` keep the newest backup of each of the most recent N days/ISO weeks/months that have one.
A backup any rule keeps is kept; with no rule at all, every backup is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, croniter


class ScheduleInvalid(ValueError):
    """A cron expression or time zone that cannot be used; the message says which and why."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Paris``, ``UTC``), or :class:`ScheduleInvalid`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleInvalid(f"unknown time zone {name!r}: use an IANA name such as 'UTC' or 'Europe/Paris'") from None


def check_cron(expression: str) -> None:
    """:class:`ScheduleInvalid` unless ``expression`` is a five-field cron expression."""
    if len(expression.split()) != 5:
        raise ScheduleInvalid(f"{expression!r} is not a cron expression of five fields (minute hour day month weekday)")
    try:
        croniter(expression)
    except (CroniterBadCronError, ValueError, KeyError) as error:
        raise ScheduleInvalid(f"{expression!r} is not a valid cron expression: {error}") from None


def next_run(expression: str, timezone: str, *, after: datetime) -> datetime:
    """The first time strictly after ``after`` (aware) that ``expression`` names, read in ``timezone``
    (so ``0 3 * * *`` in Europe/Paris is 03:00 there in summer and in winter); returned aware, UTC."""
    check_cron(expression)
    local = after.astimezone(zone(timezone))
    found: datetime = croniter(expression, local).get_next(datetime)
    return found.astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class Policy:
    """How many backups to keep; None means the rule is not used."""

    last: int | None = None
    daily: int | None = None
    weekly: int | None = None
    monthly: int | None = None

    @property
    def keeps_everything(self) -> bool:
        return all(n is None for n in (self.last, self.daily, self.weekly, self.monthly))


@dataclass(frozen=True)
class Kept:
    """A backup as retention sees it."""

    backup_id: str
    created_at: datetime  # aware


def to_prune(backups: Sequence[Kept], policy: Policy, *, timezone: str = "UTC") -> list[str]:
    """The ids of ``backups`` that ``policy`` does not keep, oldest first. Days, weeks and months are
    those of ``timezone``."""
    if policy.keeps_everything:
        return []
    tz = zone(timezone)
    newest_first = sorted(backups, key=lambda b: (b.created_at, b.backup_id), reverse=True)
    keep: set[str] = set()
    if policy.last:
        keep.update(b.backup_id for b in newest_first[: policy.last])
    buckets: list[tuple[int | None, Callable[[datetime], tuple[int, ...]]]] = [
        (policy.daily, lambda t: (t.year, t.month, t.day)),
        (policy.weekly, lambda t: tuple(t.isocalendar())[:2]),
        (policy.monthly, lambda t: (t.year, t.month)),
    ]
    for count, bucket in buckets:
        if not count:
            continue
        seen: list[tuple[int, ...]] = []
        for backup in newest_first:
            key = bucket(backup.created_at.astimezone(tz))
            if key not in seen:
                if len(seen) == count:
                    break
                seen.append(key)
                keep.add(backup.backup_id)
    return [b.backup_id for b in reversed(newest_first) if b.backup_id not in keep]
