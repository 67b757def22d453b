"""``qc cluster bootstrap``: K3s and QuickOn on this host (the plan: ``quickon_cli.bootstrap``).

``--dry-run`` prints every command and file without touching the host. Without it the host is checked first
(Linux, systemd, root, curl and helm), the plan is confirmed (``--yes`` for scripts), then each step runs in
turn, its output shown; the first that fails stops the bootstrap and says which and how to go on.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from .. import output
from ..bootstrap import K3S_VERSION, NODE_TOKEN, Plan, PlanError, Step, host_problems, plan
from ..context import Context, UsageError

CHART = Path(__file__).resolve().parents[4] / "charts" / "quickon"  # in a checkout: charts/quickon


def bootstrap(ctx: Context) -> int:
    a = ctx.args
    try:
        made = plan(server=a.server, token=a.join, chart=Path(a.chart), values=[Path(v) for v in a.values],
                    k3s_version=a.k3s_version)  # fmt: skip
    except PlanError as error:
        raise UsageError(str(error)) from None
    if a.dry_run:
        return _show(ctx, made)
    problems = host_problems(
        system=platform.system(), systemd=Path("/run/systemd/system").is_dir(), root=os.geteuid() == 0,
        tools={"curl": shutil.which("curl") is not None, "helm": bool(a.join or shutil.which("helm"))},
    )  # fmt: skip
    if problems:
        output.say_error(["error: this host cannot run the bootstrap:", *(f"  - {p}" for p in problems),
                          "  (qc cluster bootstrap --dry-run shows every step without running it)"])  # fmt: skip
        return 1
    if not a.yes:
        if not sys.stdin.isatty():
            raise UsageError("the bootstrap installs K3s on this host: confirm with --yes (or see --dry-run first)")
        answer = input(f"Install K3s {a.k3s_version} on this host and run {len(made.steps)} steps? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            output.say_error(["nothing was done"])
            return 1
    return _run(made)


def _show(ctx: Context, made: Plan) -> int:
    if ctx.json:
        steps = [{"what": s.what, "command": s.command, "file": str(s.file) if s.file else None,
                  "content": s.content or None, "env": s.env} for s in made.steps]  # fmt: skip
        output.emit_json({"steps": steps, "after": made.after})
        return 0
    lines = ["qc cluster bootstrap would run, in order (nothing was done):"]
    for number, step in enumerate(made.steps, 1):
        lines += [f"{number}. {step.what}", f"   {step.shown().rstrip()}"]
    print("\n".join([*lines, "", "Then:", *made.after]))
    return 0


def _run(made: Plan) -> int:
    for number, step in enumerate(made.steps, 1):
        print(f"[{number}/{len(made.steps)}] {step.what}", flush=True)
        if not _done(step):
            output.say_error([
                f"error: step {number} ({step.what}) failed; nothing after it ran.",
                "  Fix what it printed above and run qc cluster bootstrap again: every step can be run twice.",
            ])  # fmt: skip
            return 1
    print("\n".join(made.after))
    return 0


def _done(step: Step) -> bool:
    if step.file is not None:
        step.file.parent.mkdir(parents=True, exist_ok=True)
        step.file.write_text(step.content)
        step.file.chmod(0o600)  # it may hold the join token
        return True
    return subprocess.run(step.command, env={**os.environ, **step.env}, check=False).returncode == 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    cluster = commands.add_parser("cluster", parents=[common], help="the cluster QuickOn runs on")
    sub = cluster.add_subparsers(dest="cluster_command", required=True, metavar="COMMAND")
    parser = sub.add_parser(
        "bootstrap", parents=[common], help="install K3s and QuickOn on this host (Linux with systemd)",
        description="Install K3s on this host (embedded etcd, ingress-nginx instead of Traefik, local-path storage) "
        "and then QuickOn's chart; or, with --server and --join, add this host to a cluster as another server.",
    )  # fmt: skip
    parser.set_defaults(handler=bootstrap)
    parser.add_argument("--server", metavar="ADDRESS", help="join the cluster of this first server (IP or host)")
    parser.add_argument("--join", metavar="TOKEN", help=f"the first server's token (its {NODE_TOKEN})")
    parser.add_argument("--dry-run", action="store_true", help="print every command and file, do nothing")
    parser.add_argument("--yes", action="store_true", help="do not ask before installing")
    parser.add_argument("--chart", default=str(CHART), metavar="DIR", help="QuickOn's chart (default charts/quickon)")
    parser.add_argument("--values", "-f", action="append", default=[], metavar="FILE", help="values for the chart")
    parser.add_argument("--k3s-version", default=K3S_VERSION, metavar="V", help=f"default {K3S_VERSION}")
