"""``qc operation`` and ``qc events``: what the platform is doing and has done."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from .. import args as shared
from .. import operations as ops
from .. import output, sse
from ..context import Context
from ..wait import wait_for
from .base import command

HIDDEN_FIELDS = frozenset({"operation_id", "namespace", "correlation_id", "causation_id"})
SUMMARY_WIDTH = 110


def operation_text(op: Mapping[str, Any]) -> str:
    """An operation for people: what, who, its state, each step, and how it ended."""
    state = str(op.get("state"))
    if state == "failed":
        reason, step = ops.failure(op)
        state += f" at step {step}: {reason}" if step else f": {reason}"
    elif state == "succeeded" and ops.result_text(op):
        state += f" ({ops.result_text(op)})"
    lines = [
        output.fields(
            [
                ("Operation", op.get("operation_id")),
                ("What", ops.title(op)),
                ("By", op.get("actor")),
                ("State", state),
                ("Created", output.short_time(op.get("created_at"))),
                ("Finished", output.short_time(op.get("finished_at"))),
            ]
        )
    ]
    steps = ops.steps(op)
    if steps:
        rows = [[name, step_state, detail] for name, step_state, detail in steps]
        lines += ["", "Steps:", *("  " + r for r in output.table(["step", "state", "detail"], rows).splitlines())]
    return "\n".join(lines)


def operation(ctx: Context) -> int:
    op = ctx.client.get(f"/api/v1/operations/{ctx.args.operation_id}")
    if ctx.args.wait:
        return wait_for(ctx.client, op, timeout=ctx.args.timeout, json_output=ctx.json)
    ctx.show(op, operation_text(op))
    return 1 if op.get("state") == "failed" else 0


def event_line(event: Mapping[str, Any]) -> str:
    """One event on one line: time, type (without the io.quickon. prefix and .v1), subject, actor, fields."""
    kind = str(event.get("type") or "")
    kind = kind.removeprefix("io.quickon.").rsplit(".v", 1)[0] if kind.startswith("io.quickon.") else kind
    body = event.get("data")
    pairs = []
    if isinstance(body, Mapping):
        for key, value in body.items():
            if key not in HIDDEN_FIELDS and value not in (None, "", [], {}):
                shown = (
                    value if isinstance(value, (str, int, float, bool)) else json.dumps(value, separators=(",", ":"))
                )
                pairs.append(f"{key}={shown}")
    summary = " ".join(pairs)
    if len(summary) > SUMMARY_WIDTH:
        summary = summary[: SUMMARY_WIDTH - 1] + "…"
    moment = output.short_time(event.get("time"))
    return f"{moment}  {kind:<28}  {event.get('subject') or '-'}  {event.get('actor') or '-'}  {summary}".rstrip()


def events(ctx: Context) -> int:
    last = ctx.args.last if ctx.args.last is not None else (None if ctx.args.follow else 20)
    params = {"last": last, "follow": "true" if ctx.args.follow else "false", "context": ctx.args.context}
    try:
        with ctx.client.stream_lines("/api/v1/events", params=params, timeout=None if ctx.args.follow else 30) as lines:
            for message in sse.messages(lines):
                try:
                    event = json.loads(message.data)
                except ValueError:
                    event = {"type": message.event, "data": message.data, "sequence": message.id}
                if ctx.json:
                    output.emit_json(event, compact=True)
                else:
                    print(event_line(event) if isinstance(event, Mapping) else str(event), flush=True)
    except KeyboardInterrupt:  # how one stops following
        return 0
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parents = [common]
    parser = command(commands, "operation", operation, parents=parents, help="an operation: its steps and outcome")
    parser.add_argument("operation_id", metavar="ID")
    shared.add_wait(parser)
    parser = command(commands, "events", events, parents=parents, help="the platform's events (one per line)")
    parser.add_argument("--follow", action="store_true", help="keep printing new events until Ctrl-C")
    parser.add_argument(
        "--last",
        type=shared.positive_int,
        metavar="N",
        help="start with the last N events (default 20; 0 with --follow)",
    )
    parser.add_argument("--context", help="only one context's events: deploy, market, backup, monitor, audit, iam")
