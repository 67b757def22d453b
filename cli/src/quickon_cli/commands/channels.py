"""``qc channels`` (list), ``qc channels add NAME --kind KIND …``, ``qc channels test|deliveries|delete ID``.

A channel's signing secret or SMTP password is read from an environment variable named on the command
line (``--secret-env``, ``--password-env``), never from the command line itself, which shells keep in their
history and other users see in the process list.
"""

from __future__ import annotations

import argparse
from typing import Any

from .. import args as shared
from .. import output
from ..context import Context, UsageError
from .base import command, submitted

KINDS = ("webhook", "slack", "dingtalk", "wecom", "feishu", "email")
ACTIONS = ("add", "test", "deliveries", "delete")
USAGE = (
    "qc channels | qc channels add NAME --kind KIND (--webhook-url URL | --smtp-host HOST --from ADDR --to ADDR) "
    "[--team TEAM] [--secret-env VAR] | qc channels test|deliveries|delete ID"
)
PATH = "/api/v1/notification-channels"


def channels(ctx: Context) -> int:
    words: list[str] = ctx.args.words
    if not words:
        return _list(ctx)
    action, rest = words[0], words[1:]
    if action not in ACTIONS or len(rest) != 1:
        raise UsageError(f"qc channels {' '.join(words)!r} is not a channel command; usage: {USAGE}")
    if action == "add":
        return submitted(ctx, ctx.client.post(PATH, _body(ctx, name=rest[0])))
    if action == "delete":
        return submitted(ctx, ctx.client.delete(f"{PATH}/{rest[0]}"))
    if action == "test":
        result = ctx.client.post(f"{PATH}/{rest[0]}/test")
        said = f"{result.get('status') or '-'} {result.get('detail', '')}".strip()
        ctx.show(result, f"{'Delivered' if result.get('ok') else 'Not delivered'}: the receiver said {said}")
        return 0 if result.get("ok") else 1
    log = ctx.client.get(f"{PATH}/{rest[0]}/deliveries")
    rows = [
        [d.get("event_type"), d.get("state"), d.get("tries"), output.ago(d.get("created_at")),
         (d.get("attempts") or [{}])[-1].get("detail", "")[:60]]
        for d in log.get("deliveries", [])
    ]  # fmt: skip
    empty = f"Nothing was sent to {rest[0]} yet. Send a test: qc channels test {rest[0]}"
    ctx.show(log, output.table(["event", "state", "tries", "when", "last answer"], rows) if rows else empty)
    return 0


def _list(ctx: Context) -> int:
    found = ctx.client.get(PATH)
    rows = [
        [c.get("channel_id"), c["definition"].get("name"), c["definition"].get("kind"), c.get("team") or "platform",
         c["definition"].get("url_hint") or (c["definition"].get("email") or {}).get("host", ""),
         "failing" if c.get("failing") else "ok"]
        for c in found.get("channels", [])
    ]  # fmt: skip
    empty = (
        "No notification channels. Add one: qc channels add ops --kind slack --webhook-url https://hooks.slack.com/…"
    )
    ctx.show(found, output.table(["id", "name", "kind", "team", "to", "state"], rows) if rows else empty)
    return 0


def _secret(ctx: Context, variable: str | None, what: str) -> str | None:
    if variable is None:
        return None
    value = ctx.env.get(variable)
    if not value:
        raise UsageError(f"{what}: the environment variable {variable} is not set (or empty)")
    return value


def _body(ctx: Context, *, name: str) -> dict[str, Any]:
    a = ctx.args
    if a.kind is None:
        raise UsageError(f"qc channels add needs --kind ({', '.join(KINDS)}); usage: {USAGE}")
    body: dict[str, Any] = {"name": name, "kind": a.kind, "team": a.team, "language": a.language, "url": a.webhook_url,
                            "secret": _secret(ctx, a.secret_env, "--secret-env"),
                            "password": _secret(ctx, a.password_env, "--password-env")}  # fmt: skip
    if a.topics:
        body["topics"] = [t.strip() for t in a.topics.split(",") if t.strip()]
    if a.severities:
        body["severities"] = [s.strip() for s in a.severities.split(",") if s.strip()]
    if a.kind == "email":
        if not (a.smtp_host and a.sender and a.to):
            raise UsageError("an email channel needs --smtp-host, --from and --to")
        body["email"] = {"host": a.smtp_host, "port": a.smtp_port, "starttls": not a.no_starttls,
                         "username": a.smtp_user, "sender": a.sender, "recipients": a.to}  # fmt: skip
    return {k: v for k, v in body.items() if v is not None}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parser = command(
        commands, "channels", channels, parents=[common],
        help="notification channels: list, add, test, deliveries, delete",
        description=f"Where alerts and platform events are sent. Usage: {USAGE}",
    )  # fmt: skip
    parser.add_argument("words", nargs="*", metavar="ACTION ID|NAME", help="add NAME, or test|deliveries|delete ID")
    parser.add_argument("--kind", choices=KINDS, help="add: the receiver's kind")
    parser.add_argument(
        "--webhook-url", dest="webhook_url", help="add: the webhook's or bot's URL (--url is the gateway's)"
    )
    parser.add_argument("--team", help="add: the team whose events it gets (none: the platform's)")
    parser.add_argument("--language", choices=("en", "zh"), help="add: the messages' language")
    parser.add_argument("--topics", help="add: comma-separated, e.g. alert.fired,install.failed")
    parser.add_argument("--severities", help="add: comma-separated alert severities (info,warning,critical)")
    parser.add_argument("--secret-env", metavar="VAR", help="add: the variable holding the signing secret")
    parser.add_argument("--smtp-host", help="add (email): the SMTP server")
    parser.add_argument("--smtp-port", type=int, default=587, help="add (email): its port (587)")
    parser.add_argument("--no-starttls", action="store_true", help="add (email): do not upgrade with STARTTLS")
    parser.add_argument("--smtp-user", help="add (email): the SMTP user")
    parser.add_argument("--password-env", metavar="VAR", help="add (email): the variable holding the SMTP password")
    parser.add_argument("--from", dest="sender", help="add (email): the From address")
    parser.add_argument("--to", action="append", help="add (email): a recipient (repeat for more)")
    shared.add_wait(parser)
