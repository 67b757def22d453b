"""What the commands that start an operation share."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from .. import operations as ops
from .. import output
from ..context import Context
from ..wait import ACCEPT_WINDOW_S, until_taken_up, wait_for

Handler = Callable[[Context], int]


def submitted(ctx: Context, operation: Any) -> int:
    """A command's ``202`` answer: follow it with ``--wait``; else wait a few seconds for its service to
    take it up or refuse it (exit 1 with the reason), and say how to follow it."""
    if not isinstance(operation, dict) or "operation_id" not in operation:
        ctx.show(operation, "The gateway accepted the request.")
        return 0
    output.say_warnings(operation.get("warnings"))  # e.g. a values key the chart does not know
    if getattr(ctx.args, "wait", False):
        return wait_for(ctx.client, operation, timeout=ctx.args.timeout, json_output=ctx.json)
    operation = until_taken_up(ctx.client, operation)
    if operation.get("state") == "failed":
        if ctx.json:
            output.emit_json(operation)
        output.say_error(ops.failure_lines(operation))
        return 1
    text = ops.accepted_text(operation)
    if operation.get("state", "pending") == "pending":
        text += f"\n(not taken up within {ACCEPT_WINDOW_S:.0f}s: it starts when its service is free or back)"
    ctx.show(operation, text)
    return 0


def command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    *,
    parents: list[argparse.ArgumentParser],
    help: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand that runs ``handler``."""
    parser = commands.add_parser(name, parents=parents, help=help, description=description or help)
    parser.set_defaults(handler=handler)
    return parser
