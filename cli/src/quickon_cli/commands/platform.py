"""``qc platform components`` and ``qc platform scale deployer=3[,backup=2]``: the platform's own services
(platform admins): each one's replicas that answer and those its Deployment asks for, and a scale of them
(``kubectl scale deployment`` of the platform's Deployments, as operations the deployer runs)."""

from __future__ import annotations

import argparse
from typing import Any

from .. import args as shared
from .. import operations as ops
from .. import output
from ..context import Context, UsageError
from ..wait import wait_for
from .base import submitted

REPLICAS_MIN, REPLICAS_MAX = 1, 20  # what the gateway takes (quickon_common.contracts.deploy)
USAGE = "qc platform scale COMPONENT=REPLICAS[,COMPONENT=REPLICAS...] [--wait], e.g. qc platform scale deployer=3"


def components(ctx: Context) -> int:
    found = ctx.client.get("/api/v1/platform/components")
    rows = [
        [
            c.get("service"), "yes" if c.get("ready") else ("no" if c.get("up") else "down"),
            c.get("replicas", 0), "-" if c.get("desired_replicas") is None else c["desired_replicas"],
            c.get("version") or "-", c.get("operation_id") or "",
        ]
        for c in found.get("components", [])
    ]  # fmt: skip
    text = output.table(["component", "ready", "running", "desired", "version", "operation"], rows)
    if found.get("desired_detail"):
        text += f"\n\n{found['desired_detail']}"
    ctx.show(found, text)
    return 0


def parse_scales(text: str) -> list[tuple[str, int]]:
    """``deployer=3,backup=2`` as [("deployer", 3), ("backup", 2)]; a :class:`UsageError` saying what is wrong."""
    scales: dict[str, int] = {}
    for pair in (part.strip() for part in text.split(",")):
        name, equals, number = pair.partition("=")
        name = name.strip()
        if not name or not equals:
            raise UsageError(f"{pair!r} is not COMPONENT=REPLICAS; usage: {USAGE}")
        try:
            replicas = int(number.strip())
        except ValueError:
            raise UsageError(f"{pair!r}: the replicas must be a whole number; usage: {USAGE}") from None
        if not REPLICAS_MIN <= replicas <= REPLICAS_MAX:
            raise UsageError(
                f"{pair!r}: a component runs {REPLICAS_MIN} to {REPLICAS_MAX} replicas; ask for a number in that range"
            )
        if name in scales:
            raise UsageError(f"{name} is named twice; name each component once")
        scales[name] = replicas
    return list(scales.items())


def scale(ctx: Context) -> int:
    wanted = [pair for text in ctx.args.scales for pair in parse_scales(text)]
    names = [name for name, _ in wanted]
    if len(names) != len(set(names)):
        raise UsageError("a component is named twice; name each component once")
    if len(wanted) == 1:
        name, replicas = wanted[0]
        return submitted(ctx, _post(ctx, name, replicas))
    # Several: every scale asked first (they run side by side), then each followed or told.
    accepted = [_post(ctx, name, replicas) for name, replicas in wanted]
    if ctx.args.wait:
        codes = [wait_for(ctx.client, op, timeout=ctx.args.timeout, json_output=ctx.json) for op in accepted]
        return max(codes)
    ctx.show(accepted, "\n".join(ops.accepted_text(op) for op in accepted))
    return 0


def _post(ctx: Context, name: str, replicas: int) -> Any:
    return ctx.client.post(f"/api/v1/platform/components/{name}/scale", {"replicas": replicas})


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    platform = commands.add_parser("platform", parents=[common], help="QuickOn's own services (platform admins)")
    sub = platform.add_subparsers(dest="platform_command", required=True, metavar="COMMAND")
    parser = sub.add_parser(
        "components", parents=[common], help="each QuickOn service: ready, replicas running and desired",
        description="Each of QuickOn's own services: whether it is ready, how many replicas answer, how many its "
        "Deployment asks for, its version, and a scale of it running now. Platform admins only.",
    )  # fmt: skip
    parser.set_defaults(handler=components)
    parser = sub.add_parser(
        "scale", parents=[common], help="set how many replicas QuickOn services run",
        description="Set how many replicas (1 to 20) the Deployment of each named QuickOn service asks for, e.g. "
        "qc platform scale deployer=3,backup=2; each is an operation of the deployer (--wait follows them). "
        "With the chart's autoscaling on, the autoscaler owns those replicas. Platform admins only.",
    )  # fmt: skip
    parser.usage = USAGE + " [--timeout SECONDS] [--json]"
    parser.set_defaults(handler=scale)
    parser.add_argument(
        "scales", nargs="+", metavar="COMPONENT=REPLICAS", help="e.g. deployer=3 or deployer=3,backup=2"
    )
    shared.add_wait(parser)
