"""The backup domain as pure functions: schedules in a time zone, retention, volume matching, ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quickon_backup.domain import BACKUP_ID, match_volumes, new_backup_id, part_key
from quickon_backup.retention import Kept, Policy, ScheduleInvalid, check_cron, next_run, to_prune


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_next_run_follows_the_time_zone_across_daylight_saving() -> None:
    # 03:00 in Paris is 01:00 UTC in summer and 02:00 UTC in winter.
    assert next_run("0 3 * * *", "Europe/Paris", after=at("2026-07-01T12:00:00")) == at("2026-07-02T01:00:00")
    assert next_run("0 3 * * *", "Europe/Paris", after=at("2026-12-01T12:00:00")) == at("2026-12-02T02:00:00")
    assert next_run("0 3 * * *", "UTC", after=at("2026-12-01T02:59:59")) == at("2026-12-01T03:00:00")
    # strictly after: a run exactly due now is the next one's business
    assert next_run("*/15 * * * *", "UTC", after=at("2026-12-01T10:15:00")) == at("2026-12-01T10:30:00")


@pytest.mark.parametrize(
    ("cron", "timezone", "says"),
    [
        ("0 3 * *", "UTC", "five fields"),
        ("61 3 * * *", "UTC", "not a valid cron"),
        ("0 3 * * *", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_a_bad_schedule_is_refused_with_the_reason(cron: str, timezone: str, says: str) -> None:
    with pytest.raises(ScheduleInvalid, match=says):
        next_run(cron, timezone, after=at("2026-12-01T00:00:00"))


def test_check_cron_accepts_the_usual_forms() -> None:
    for cron in ("0 3 * * *", "*/5 * * * *", "0 0 1 * *", "30 2 * * mon-fri"):
        check_cron(cron)


def daily(days: int, start: str = "2026-11-01T03:00:00") -> list[Kept]:
    return [Kept(f"b{i:03d}", at(start) + timedelta(days=i)) for i in range(days)]


def test_keep_last_keeps_the_newest() -> None:
    backups = daily(10)
    assert to_prune(backups, Policy(last=7)) == ["b000", "b001", "b002"]
    assert to_prune(backups, Policy()) == []  # no rule: keep everything
    assert to_prune(backups, Policy(last=20)) == []


def test_daily_keeps_the_newest_of_each_day() -> None:
    # three backups a day for four days: daily=2 keeps the last one of each of the two newest days
    backups = [
        Kept(f"d{d}h{h}", at("2026-11-01T00:00:00") + timedelta(days=d, hours=h)) for d in range(4) for h in (1, 9, 17)
    ]
    kept = {b.backup_id for b in backups} - set(to_prune(backups, Policy(daily=2)))
    assert kept == {"d3h17", "d2h17"}


def test_weekly_and_monthly_use_calendar_weeks_and_months() -> None:
    backups = daily(70, start="2026-09-01T03:00:00")  # 1 Sep to 9 Nov
    kept = {b.created_at.date().isoformat() for b in backups} - {
        b.created_at.date().isoformat()
        for b in backups
        if b.backup_id in to_prune(backups, Policy(weekly=2, monthly=3))
    }
    # newest of the two newest ISO weeks (Sun 8 Nov closes week 45; Mon 9 Nov opens week 46), and of Nov, Oct, Sep
    assert kept == {"2026-11-09", "2026-11-08", "2026-10-31", "2026-09-30"}


def test_rules_combine_a_backup_any_rule_keeps_is_kept() -> None:
    backups = daily(40)
    pruned = to_prune(backups, Policy(last=3, monthly=2))
    kept = [b.backup_id for b in backups if b.backup_id not in pruned]
    assert kept == ["b029", "b037", "b038", "b039"]  # 30 Nov (newest of November), and the last three


def test_days_are_those_of_the_schedule_time_zone() -> None:
    # 23:30 UTC on the 1st is already the 2nd in Tokyo: two backups of the same Tokyo day
    backups = [Kept("late", at("2026-11-01T23:30:00")), Kept("next", at("2026-11-02T10:00:00"))]
    assert to_prune(backups, Policy(daily=1), timezone="UTC") == ["late"]
    assert to_prune(backups, Policy(daily=2), timezone="UTC") == []
    assert to_prune(backups, Policy(daily=2), timezone="Asia/Tokyo") == ["late"]


def test_volumes_are_matched_across_release_names() -> None:
    assert match_volumes(
        backup=["data-cache-redis-0"], source="cache", target=["data-copy-redis-0"], release="copy"
    ) == {"data-cache-redis-0": "data-copy-redis-0"}
    # a claim template named like the release: the release's own occurrence is the later one
    two = ["data-data-db-0", "logs-data-db-0"]
    assert match_volumes(backup=two, source="data", target=["data-new-db-0", "logs-new-db-0"], release="new") == {
        "data-data-db-0": "data-new-db-0",
        "logs-data-db-0": "logs-new-db-0",
    }
    # in place: the same names; a claim the target lacks is left out for the caller to refuse
    assert match_volumes(backup=["a-x-0", "b-x-0"], source="x", target=["a-x-0"], release="x") == {"a-x-0": "a-x-0"}


def test_backup_ids_sort_by_time_and_are_valid() -> None:
    first = new_backup_id(at("2026-12-01T03:00:00"), "1a2b3c")
    second = new_backup_id(at("2026-12-02T03:00:00"), "000000")
    assert first == "20261201t030000z-1a2b3c" and first < second
    assert BACKUP_ID.match(first) and not BACKUP_ID.match("Bad_Id") and not BACKUP_ID.match("-x")
    assert part_key("ns", "svc", first, "volume", "data-0") == f"backups/ns/svc/{first}/volumes/data-0.tar"
