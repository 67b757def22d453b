"""``qc alerts`` (firing and pending, or the history with ``--state``), ``qc alerts show|ack ID``,
``qc alerts silence ID|--match NAME=VALUE --for DURATION``, ``qc alerts silences`` and
``qc alerts unsilence SILENCE_ID``."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta

from .. import args as shared
from .. import output
from ..context import Context, UsageError
from .base import command, submitted

ACTIONS = ("show", "ack", "silence", "silences", "unsilence")
USAGE = (
    "qc alerts [--state active|firing|pending|resolved|all] | qc alerts show|ack ID | "
    "qc alerts silence ID|--match NAME=VALUE... --for 2h [--comment TEXT] | qc alerts silences | "
    "qc alerts unsilence SILENCE_ID"
)
DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_MATCHERS = 20  # what the gateway takes in one silence


def alerts(ctx: Context) -> int:
    words: list[str] = ctx.args.words
    if not words:
        return _list(ctx)
    action, rest = words[0], words[1:]
    if action == "silences" and not rest:
        return _silences(ctx)
    if action == "silence" and ctx.args.match and not rest:
        return _silence(ctx, None)
    if action not in ACTIONS or len(rest) != 1:
        raise UsageError(f"qc alerts {' '.join(words)!r} is not an alerts command; usage: {USAGE}")
    if action == "show":
        return _show(ctx, rest[0])
    if action == "ack":
        body = {"note": ctx.args.comment} if ctx.args.comment else {}
        return submitted(ctx, ctx.client.post(f"/api/v1/alerts/{rest[0]}/acknowledge", body))
    if action == "silence":
        return _silence(ctx, rest[0])
    return submitted(ctx, ctx.client.delete(f"/api/v1/silences/{rest[0]}"))


def _list(ctx: Context) -> int:
    a = ctx.args
    found = ctx.client.get("/api/v1/alerts", state=a.state, service=a.service, severity=a.severity, limit=a.limit)
    rows = [
        [x.get("alert_id"), x.get("rule"), x.get("severity"), _state(x),
         "/".join(p for p in (x.get("namespace"), x.get("service")) if p), output.ago(x.get("active_at")),
         x.get("acknowledged_by"), (x.get("summary") or "")[:80]]
        for x in found.get("alerts", [])
    ]  # fmt: skip
    empty = "No alerts firing or pending." if a.state == "active" else f"No alerts ({a.state})."
    headers = ["id", "rule", "severity", "state", "where", "since", "acked by", "summary"]
    ctx.show(found, output.table(headers, rows) if rows else empty)
    return 0


def _state(alert: dict[str, object]) -> str:
    return f"{alert.get('state')} (silenced)" if alert.get("silenced") else str(alert.get("state"))


def _show(ctx: Context, alert_id: str) -> int:
    x = ctx.client.get(f"/api/v1/alerts/{alert_id}")
    labels = ", ".join(f"{k}={v}" for k, v in sorted((x.get("labels") or {}).items()))
    text = output.fields([
        ("Alert", x.get("alert_id")), ("Rule", x.get("rule")), ("Team", x.get("team") or "platform"),
        ("State", x.get("state")), ("Severity", x.get("severity")), ("Silenced", x.get("silenced")),
        ("Summary", x.get("summary")), ("Value", x.get("value")), ("Labels", labels),
        ("Active since", output.short_time(x.get("active_at"))), ("Fired", output.short_time(x.get("fired_at"))),
        ("Resolved", output.short_time(x.get("resolved_at"))),
        ("Acknowledged", f"{x['acknowledged_by']} at {output.short_time(x.get('acknowledged_at'))}"
                         if x.get("acknowledged_by") else None),
    ])  # fmt: skip
    ctx.show(x, text)
    return 0


def duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``2h``, ``7d``."""
    found = DURATION.match(text.strip())
    if not found or int(found.group(1)) == 0:
        raise UsageError(f"--for {text!r}: give a duration such as 30m, 2h or 7d")
    return timedelta(seconds=int(found.group(1)) * UNITS[found.group(2)])


def _matchers(ctx: Context, alert_id: str | None) -> tuple[list[dict[str, str]], str | None]:
    """What the silence matches, and whose it is: an alert's every label and its team, or ``--match``es."""
    if alert_id is None:
        pairs = [m.partition("=") for m in ctx.args.match]
        if any(not name or not sep for name, sep, _ in pairs):
            raise UsageError("--match takes NAME=VALUE, e.g. --match alertname=NodeDiskFull")
        return [{"name": name, "value": value} for name, _, value in pairs], ctx.args.team
    alert = ctx.client.get(f"/api/v1/alerts/{alert_id}")
    labels = alert.get("labels") or {}
    if not labels or len(labels) > MAX_MATCHERS:
        raise UsageError(f"alert {alert_id} has {len(labels)} labels; say what to silence with --match NAME=VALUE")
    return [{"name": k, "value": v} for k, v in sorted(labels.items())], ctx.args.team or alert.get("team")


def _silence(ctx: Context, alert_id: str | None) -> int:
    if ctx.args.for_ is None:
        raise UsageError(f"say how long with --for (30m, 2h, 7d); usage: {USAGE}")
    if alert_id is not None and ctx.args.match:
        raise UsageError("give an alert's ID or --match, not both")
    length = duration(ctx.args.for_)
    matchers, team = _matchers(ctx, alert_id)
    ends = (datetime.now(UTC) + length).isoformat()
    body = {"matchers": matchers, "ends_at": ends, "comment": ctx.args.comment or "", "team": team}
    return submitted(ctx, ctx.client.post("/api/v1/silences", {k: v for k, v in body.items() if v is not None}))


def _silences(ctx: Context) -> int:
    found = ctx.client.get("/api/v1/silences", include_expired=ctx.args.state == "all")
    rows = [
        [s.get("silence_id"), ", ".join(f"{m['name']}{'=~' if m.get('is_regex') else '='}{m['value']}"
                                         for m in s.get("matchers", [])),
         s.get("team") or "platform", output.short_time(s.get("ends_at")), "yes" if s.get("active") else "no",
         s.get("created_by"), s.get("comment")]
        for s in found.get("silences", [])
    ]  # fmt: skip
    empty = "No silences. Silence an alert: qc alerts silence ID --for 2h"
    headers = ["id", "matches", "team", "until", "active", "by", "comment"]
    ctx.show(found, output.table(headers, rows) if rows else empty)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parser = command(
        commands, "alerts", alerts, parents=[common], help="alerts: list, show, acknowledge, silence",
        description=f"Alerts you may see, and silences. Usage: {USAGE}",
    )  # fmt: skip
    parser.add_argument("words", nargs="*", metavar="ACTION ID", help=f"one of {', '.join(ACTIONS)} and its ID")
    parser.add_argument(
        "--state", choices=("active", "firing", "pending", "resolved", "all"), default="active",
        help="list: active (firing and pending, the default), or all: the history; silences: all shows expired ones",
    )  # fmt: skip
    parser.add_argument("--service", help="list: only this service's alerts")
    parser.add_argument("--severity", choices=("info", "warning", "critical"), help="list: only this severity")
    parser.add_argument("--limit", type=shared.positive_int, default=100, help="list: at most this many (100)")
    parser.add_argument("--for", dest="for_", metavar="DURATION", help="silence: how long (30m, 2h, 7d)")
    parser.add_argument(
        "--match", action="append", default=[], metavar="NAME=VALUE",
        help="silence: a label the alerts must have (repeatable), instead of an alert's ID",
    )  # fmt: skip
    parser.add_argument("--comment", help="silence: why; ack: a note")
    parser.add_argument("--team", help="silence: whose silence (default: the alert's team; none: the platform's)")
    shared.add_wait(parser)
