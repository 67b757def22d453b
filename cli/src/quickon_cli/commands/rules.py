"""``qc rules`` (list), ``qc rules show|enable|disable|delete ID`` and
``qc rules create NAME --template T [--param K=V]... | --expr PROMQL``.

Enabling and disabling replace the rule's spec with the same one, ``enabled`` changed: the API has one way
to change a rule.
"""

from __future__ import annotations

import argparse
from typing import Any

from .. import args as shared
from .. import output
from ..context import Context, UsageError
from .base import command, submitted

ACTIONS = ("show", "enable", "disable", "delete", "create")
USAGE = (
    "qc rules | qc rules show|enable|disable|delete ID | qc rules create NAME (--template T [--param K=V]... | "
    "--expr PROMQL) [--for SECONDS] [--severity S] [--summary TEXT] [--team TEAM]"
)
PATH = "/api/v1/alert-rules"
SPEC = ("name", "template", "params", "expr", "for_s", "keep_firing_for_s", "severity", "labels", "summary")


def rules(ctx: Context) -> int:
    words: list[str] = ctx.args.words
    if not words:
        return _list(ctx)
    action, rest = words[0], words[1:]
    if action not in ACTIONS or len(rest) != 1:
        raise UsageError(f"qc rules {' '.join(words)!r} is not a rules command; usage: {USAGE}")
    if action == "create":
        return submitted(ctx, ctx.client.post(PATH, _new_rule(ctx, rest[0])))
    if action == "delete":
        return submitted(ctx, ctx.client.delete(f"{PATH}/{rest[0]}"))
    rule = ctx.client.get(f"{PATH}/{rest[0]}")
    if action == "show":
        return _show(ctx, rule)
    spec = {key: rule[key] for key in SPEC if rule.get(key) is not None}
    return submitted(ctx, ctx.client.put(f"{PATH}/{rest[0]}", {**spec, "enabled": action == "enable"}))


def _what(rule: dict[str, Any]) -> str:
    if rule.get("template"):
        params = ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in sorted((rule.get("params") or {}).items()))  # fmt: skip
        return f"{rule['template']}({params})"
    return str(rule.get("expr") or "")[:60]


def _list(ctx: Context) -> int:
    found = ctx.client.get(PATH)
    rows = [
        [r.get("rule_id"), r.get("name"), r.get("team") or "platform", _what(r), r.get("severity"),
         f"{r.get('for_s', 0):g}s", r.get("enabled"), (r.get("last_error") or "")[:60]]
        for r in found.get("rules", [])
    ]  # fmt: skip
    empty = "No alert rules. Make one: qc rules create DiskFull --template node_disk --param percent=90"
    headers = ["id", "name", "team", "rule", "severity", "for", "enabled", "last error"]
    ctx.show(found, output.table(headers, rows) if rows else empty)
    return 0


def _show(ctx: Context, rule: dict[str, Any]) -> int:
    labels = ", ".join(f"{k}={v}" for k, v in sorted((rule.get("labels") or {}).items()))
    text = output.fields([
        ("Rule", rule.get("rule_id")), ("Name", rule.get("name")), ("Team", rule.get("team") or "platform"),
        ("Kind", rule.get("kind")), ("Template", _what(rule) if rule.get("template") else None),
        ("PromQL", rule.get("query")), ("For", f"{rule.get('for_s', 0):g}s"),
        ("Keep firing for", f"{rule.get('keep_firing_for_s', 0):g}s"), ("Severity", rule.get("severity")),
        ("Labels", labels), ("Summary", rule.get("summary")), ("Enabled", rule.get("enabled")),
        ("Built in", rule.get("builtin")), ("Last error", rule.get("last_error")),
        ("Updated", output.short_time(rule.get("updated_at"))),
    ])  # fmt: skip
    ctx.show(rule, text)
    return 0


def _pairs(given: list[str], option: str, *, numbers: bool) -> dict[str, Any]:
    """``K=V`` options as a mapping; with ``numbers``, a value that reads as a number is one (a template's
    parameters are numbers, or strings such as a time zone)."""
    found: dict[str, Any] = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not key or not sep:
            raise UsageError(f"{option} takes KEY=VALUE, not {item!r}")
        found[key] = _number(value) if numbers else value
    return found


def _number(value: str) -> float | int | str:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def _new_rule(ctx: Context, name: str) -> dict[str, Any]:
    a = ctx.args
    if (a.template is None) == (a.expr is None):
        raise UsageError(f"give --template (with --param K=V) or --expr PROMQL; usage: {USAGE}")
    body: dict[str, Any] = {
        "name": name, "template": a.template, "expr": a.expr, "params": _pairs(a.param, "--param", numbers=True),
        "labels": _pairs(a.label, "--label", numbers=False), "for_s": a.for_s, "severity": a.severity,
        "summary": a.summary, "team": a.team,
    }  # fmt: skip
    return {k: v for k, v in body.items() if v not in (None, {})}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parser = command(
        commands, "rules", rules, parents=[common], help="alert rules: list, show, create, enable, disable, delete",
        description=f"Alert rules: templates with parameters, or raw PromQL. Usage: {USAGE}",
    )  # fmt: skip
    parser.add_argument("words", nargs="*", metavar="ACTION ID|NAME", help="create NAME, or show|enable|… ID")
    parser.add_argument("--template", help="create: node_disk, restarts, cpu_of_limit, service_not_ready, …")
    parser.add_argument("--param", action="append", default=[], metavar="K=V", help="create: a template's parameter")
    parser.add_argument("--expr", metavar="PROMQL", help="create: raw PromQL instead of a template")
    parser.add_argument("--for", dest="for_s", type=float, metavar="SECONDS", help="create: true this long first")
    parser.add_argument("--severity", choices=("info", "warning", "critical"), help="create: default warning")
    parser.add_argument("--summary", help="create: the message; may hold {{ $labels.pod }} and {{ $value }}")
    parser.add_argument("--label", action="append", default=[], metavar="K=V", help="create: a label of its alerts")
    parser.add_argument("--team", help="create: the team whose rule it is (none: the platform's)")
    shared.add_wait(parser)
