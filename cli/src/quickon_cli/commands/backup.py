"""``qc backup NAME``, ``qc backups NAME``, ``qc restore ID``, ``qc backup verify|show|delete ID`` and
``qc backup schedule NAME CRON``."""

from __future__ import annotations

import argparse
from typing import Any

from .. import args as shared
from .. import output
from ..context import Context, UsageError
from .base import command, submitted

ACTIONS = ("schedule", "verify", "show", "delete")
USAGE = (
    "qc backup NAME | qc backup schedule NAME CRON [--keep N] | qc backup schedule NAME --remove | "
    "qc backup verify ID [--drill] | qc backup show|delete ID"
)


def backup(ctx: Context) -> int:
    words: list[str] = ctx.args.words
    action = words[0] if words[0] in ACTIONS and len(words) > 1 else None
    if action is None:
        if len(words) != 1:
            raise UsageError(f"qc backup takes one service name, not {' '.join(words)!r}; usage: {USAGE}")
        return submitted(ctx, ctx.client.post(f"/api/v1/services/{words[0]}/backups", namespace=ctx.namespace))
    if action == "schedule":
        return schedule(ctx, words[1:])
    if len(words) != 2:
        raise UsageError(f"qc backup {action} takes one backup id; usage: {USAGE}")
    backup_id = words[1]
    if action == "verify":
        drill = {"drill": "true"} if ctx.args.drill else {}
        return submitted(ctx, ctx.client.post(f"/api/v1/backups/{backup_id}/verify", **drill))
    if action == "delete":
        return submitted(ctx, ctx.client.delete(f"/api/v1/backups/{backup_id}"))
    found = ctx.client.get(f"/api/v1/backups/{backup_id}")
    manifest = found.get("manifest") or {}
    pairs = [
        ("backup", found.get("backup_id")), ("service", found.get("service")), ("status", found.get("status")),
        ("reason", found.get("reason")), ("trigger", found.get("trigger")),
        ("app", f"{found.get('app')} {found.get('version')}"), ("revision", found.get("revision")),
        ("size", output.size(found.get("size_bytes"))), ("taken", output.short_time(found.get("created_at"))),
        ("verified", output.short_time(found.get("verified_at")) or "never"),
    ]  # fmt: skip
    lines = [output.fields(pairs)]
    parts = manifest.get("parts") or []
    if parts:
        rows = [
            [p.get("kind"), p.get("name"), output.size(p.get("size")), str(p.get("sha256", ""))[:16]] for p in parts
        ]
        lines.append("\n" + output.table(["kind", "part", "size", "sha256"], rows))
    ctx.show(found, "\n".join(lines))
    return 0


def schedule(ctx: Context, words: list[str]) -> int:
    a = ctx.args
    if a.remove:
        if len(words) != 1:
            raise UsageError(f"qc backup schedule NAME --remove takes only the service name; usage: {USAGE}")
        return submitted(
            ctx, ctx.client.delete(f"/api/v1/services/{words[0]}/backups/schedule", namespace=ctx.namespace)
        )
    if len(words) == 1:  # no cron: show the schedule
        found = ctx.client.get(f"/api/v1/services/{words[0]}/backups/schedule", namespace=ctx.namespace)
        rows = [
            [s.get("cron"), s.get("timezone"), _keeps(s), output.short_time(s.get("next_run_at"))]
            for s in found.get("schedules", [])
        ]
        empty = f'{words[0]} has no backup schedule. Set one: qc backup schedule {words[0]} "0 3 * * *" --keep 7'
        ctx.show(found, output.table(["cron", "timezone", "keep", "next run"], rows) if rows else empty)
        return 0
    if len(words) != 2:
        raise UsageError(f'the cron expression is one argument: quote it, as in "0 3 * * *"; usage: {USAGE}')
    body = {
        "cron": words[1], "timezone": a.tz, "keep_last": a.keep, "keep_daily": a.keep_daily,
        "keep_weekly": a.keep_weekly, "keep_monthly": a.keep_monthly, "drill": a.drill or None,
    }  # fmt: skip
    path = f"/api/v1/services/{words[0]}/backups/schedule"
    return submitted(
        ctx, ctx.client.put(path, {k: v for k, v in body.items() if v is not None}, namespace=ctx.namespace)
    )


def _keeps(schedule: dict[str, Any]) -> str:
    names = {"keep_last": "last", "keep_daily": "daily", "keep_weekly": "weekly", "keep_monthly": "monthly"}
    kept = [f"{label} {schedule[key]}" for key, label in names.items() if schedule.get(key)]
    return ", ".join(kept) or "all"


def backups(ctx: Context) -> int:
    answer = ctx.client.get(f"/api/v1/services/{ctx.args.name}/backups", namespace=ctx.namespace)
    rows = [
        [b.get("backup_id"), b.get("status"), b.get("trigger"), b.get("version"), output.size(b.get("size_bytes")),
         output.ago(b.get("created_at"))]
        for b in answer.get("backups", [])
    ]  # fmt: skip
    empty = f"{ctx.args.name} has no backups yet. Take one: qc backup {ctx.args.name} --wait"
    ctx.show(answer, output.table(["backup", "status", "trigger", "version", "size", "taken"], rows) if rows else empty)
    return 0


def restore(ctx: Context) -> int:
    body = {"as": ctx.args.as_service} if ctx.args.as_service else {}
    return submitted(ctx, ctx.client.post(f"/api/v1/backups/{ctx.args.backup_id}/restore", body))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parents = [common]
    parser = command(
        commands, "backup", backup, parents=parents, help="back a service up now (or: schedule, verify, show, delete)",
        description=f"Back a service up: its release, rendered objects and every volume. Usage: {USAGE}",
    )  # fmt: skip
    parser.add_argument("words", nargs="+", metavar="NAME|ACTION", help="a service, or an action and its argument")
    parser.add_argument("--keep", type=shared.positive_int, metavar="N", help="schedule: keep the last N backups")
    parser.add_argument("--keep-daily", type=shared.positive_int, metavar="N", help="schedule: one a day, N days")
    parser.add_argument("--keep-weekly", type=shared.positive_int, metavar="N", help="schedule: one a week, N weeks")
    parser.add_argument("--keep-monthly", type=shared.positive_int, metavar="N", help="schedule: one a month, N months")
    parser.add_argument(
        "--tz", default="UTC", metavar="ZONE", help="schedule: the time zone of the cron (Europe/Paris)"
    )
    parser.add_argument("--remove", action="store_true", help="schedule: remove the service's schedule")
    parser.add_argument(
        "--drill", action="store_true",
        help="verify: also restore into a throwaway service; schedule: such a drill after each backup",
    )  # fmt: skip
    shared.add_namespace(parser)
    shared.add_wait(parser)

    parser = command(commands, "backups", backups, parents=parents, help="list a service's backups")
    parser.add_argument("name", metavar="NAME")
    shared.add_namespace(parser)

    parser = command(
        commands, "restore", restore, parents=parents, help="restore a backup, in place or as a new service"
    )
    parser.add_argument("backup_id", metavar="ID")
    parser.add_argument("--as", dest="as_service", metavar="NEW", help="restore into a new service of this name")
    shared.add_wait(parser)
