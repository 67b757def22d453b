"""``qc install``, ``qc services``, ``qc status``, ``qc history``, ``qc secrets`` and ``qc uninstall``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from quickon_common.secret_values import value_at

from .. import args as shared
from .. import output, values
from ..context import Context, UsageError
from ..operations import DONE
from .base import command, submitted

RECENT_REVISIONS = 5


def user_values(ctx: Context) -> dict[str, Any]:
    """The values of ``-f``, ``--set`` and ``--set-string`` (a :class:`ValuesError` is a usage error)."""
    return values.build(files=ctx.args.values, sets=ctx.args.set, set_strings=ctx.args.set_string)


def install(ctx: Context) -> int:
    body: dict[str, Any] = {"name": ctx.args.name or ctx.args.app, "app": ctx.args.app}
    for key in ("version", "repository", "namespace", "team"):
        if getattr(ctx.args, key):
            body[key] = getattr(ctx.args, key)
    body["values"] = user_values(ctx)
    if ctx.args.override_scan_policy:
        body["override_scan_policy"] = True
    return submitted(ctx, ctx.client.post("/api/v1/services", body))


def services(ctx: Context) -> int:
    answer = ctx.client.get("/api/v1/services", namespace=ctx.args.namespace, status=ctx.args.status)
    rows = [
        [
            s.get("service") or s.get("name"),
            s.get("namespace"),
            s.get("app"),
            s.get("version"),
            s.get("status"),
            s.get("revision"),
            output.ago(s.get("updated_at")),
        ]
        for s in answer.get("services", [])
    ]
    empty = "No services yet. Install one: qc apps, then qc install APP --wait"
    ctx.show(
        answer,
        output.table(["name", "namespace", "app", "version", "status", "revision", "updated"], rows) if rows else empty,
    )
    return 0


def _health_lines(health: Any) -> list[str]:
    if not isinstance(health, Mapping):
        return [f"Health:     {health}"] if health else []
    lines: list[str] = []
    workloads = [w for w in health.get("workloads") or [] if isinstance(w, Mapping)]
    if workloads:
        rows = [
            [f"{w.get('kind')}/{w.get('name')}", f"{w.get('ready', 0)}/{w.get('desired', 0)}", w.get("updated")]
            for w in workloads
        ]
        lines += [
            "",
            "Workloads:",
            *("  " + r for r in output.table(["workload", "ready", "updated"], rows).splitlines()),
        ]
    pods = [p for p in health.get("pods") or [] if isinstance(p, Mapping)]
    if pods:
        rows = [[p.get("name"), p.get("phase"), p.get("ready"), p.get("restarts"), p.get("reason")] for p in pods]
        lines += [
            "",
            "Pods:",
            *("  " + r for r in output.table(["pod", "phase", "ready", "restarts", "reason"], rows).splitlines()),
        ]
    if health.get("pending_reason"):
        lines.append(f"Pending:    {health['pending_reason']}")
    return lines


def revision_rows(revisions: list[Any]) -> list[list[Any]]:
    return [
        [
            r.get("revision"),
            r.get("version"),
            r.get("operation"),
            r.get("outcome") or r.get("status"),
            r.get("actor"),
            output.short_time(r.get("created_at")),
            r.get("description"),
        ]
        for r in revisions
        if isinstance(r, Mapping)
    ]


REVISION_HEADERS = ["revision", "version", "operation", "outcome", "actor", "created", "description"]


def status(ctx: Context) -> int:
    found = ctx.client.get(f"/api/v1/services/{ctx.args.name}", namespace=ctx.namespace)
    health = found.get("health")
    pods = output.pods_ready(health)
    state = str(found.get("status"))
    if found.get("status_reason"):
        state += f" ({found['status_reason']})"
    pairs: list[tuple[str, Any]] = [
        ("Service", f"{found.get('service') or found.get('name')} (namespace {found.get('namespace')})"),
        ("App", f"{found.get('app')} from {found.get('repository')}"),
        ("Version", found.get("version")),
        ("Revision", found.get("revision")),
        ("Status", state),
        ("Pods ready", f"{pods[0]}/{pods[1]}" if pods else None),
    ]
    if isinstance(health, Mapping) and health.get("failure"):
        pairs.append(("Failure", health["failure"]))
    lines = [output.fields(pairs)]
    lines += _health_lines(health)
    revisions = [r for r in found.get("revisions") or [] if isinstance(r, Mapping)][-RECENT_REVISIONS:]
    if revisions:
        table = output.table(REVISION_HEADERS, revision_rows(list(reversed(revisions))))
        lines += ["", "Recent revisions:", *("  " + r for r in table.splitlines())]
    running = found.get("operation")
    if isinstance(running, Mapping) and running.get("state") not in DONE:
        step = f", step {running['step']}" if running.get("step") else ""
        lines += [
            "",
            f"Running: {running.get('kind')} {running.get('operation_id')} ({running.get('state')}{step})"
            f" — follow it: qc operation {running.get('operation_id')} --wait",
        ]
    ctx.show(found, "\n".join(lines))
    return 0


def history(ctx: Context) -> int:
    answer = ctx.client.get(f"/api/v1/services/{ctx.args.name}/revisions", namespace=ctx.namespace)
    revisions = [r for r in answer.get("revisions", []) if isinstance(r, Mapping)]
    ctx.show(answer, output.table(REVISION_HEADERS, revision_rows(revisions)))
    return 0


def secrets(ctx: Context) -> int:
    """A service's secret values in clear (recorded in the audit log as a reveal by the caller)."""
    answer = ctx.client.get(f"/api/v1/services/{ctx.args.name}/secrets", namespace=ctx.namespace)
    paths = [str(p) for p in answer.get("secret_paths") or []]
    revealed = answer.get("values") or {}
    rows = [[path, _shown(value_at(revealed, path))] for path in paths]
    empty = f"{ctx.args.name} has no secret values."
    ctx.show(answer, output.table(["path", "value"], rows) if rows else empty)
    return 0


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def uninstall(ctx: Context) -> int:
    name = ctx.args.name
    if not ctx.args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"uninstalling {name} cannot be undone: add --yes to confirm it without a terminal")
        data = "its data volumes are deleted too" if ctx.args.delete_volumes else "its data volumes are kept"
        answer = input(f"Uninstall {name} ({data})? Type its name to confirm: ").strip()
        if answer != name:
            output.say_error([f"not uninstalled: {answer!r} is not {name!r}"])
            return 1
    delete = "true" if ctx.args.delete_volumes else "false"
    return submitted(ctx, ctx.client.delete(f"/api/v1/services/{name}", namespace=ctx.namespace, delete_volumes=delete))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parents = [common]
    parser = command(commands, "install", install, parents=parents, help="install an app as a service")
    parser.add_argument("app", metavar="APP", help="the app's name in the catalog (see qc apps)")
    parser.add_argument("--name", help="the service's name (default: the app's)")
    parser.add_argument("--version", help="the app's version (default: the latest stable)")
    parser.add_argument("--repository", help="when several repositories have an app of that name")
    parser.add_argument("--team", help="the team it belongs to (default: the namespace's, else your only team)")
    shared.add_namespace(parser)
    shared.add_values(parser)
    shared.add_override_scan_policy(parser)
    shared.add_wait(parser)

    parser = command(commands, "services", services, parents=parents, help="the installed services")
    parser.add_argument("-n", "--namespace", help="only this namespace (default: all)")
    parser.add_argument("--status", help="only services in this status (running, stopped, failed, ...)")

    parser = command(commands, "status", status, parents=parents, help="a service: status, pods, revisions")
    parser.add_argument("name", metavar="NAME")
    shared.add_namespace(parser)

    parser = command(commands, "history", history, parents=parents, help="a service's revisions")
    parser.add_argument("name", metavar="NAME")
    shared.add_namespace(parser)

    parser = command(
        commands, "secrets", secrets, parents=parents,
        help="a service's secret values in clear (each reveal is recorded in the audit log)",
    )  # fmt: skip
    parser.add_argument("name", metavar="NAME")
    shared.add_namespace(parser)

    parser = command(commands, "uninstall", uninstall, parents=parents, help="remove a service")
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--delete-volumes", action="store_true", help="delete its data volumes too (default: kept)")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask to type the name to confirm")
    shared.add_namespace(parser)
    shared.add_wait(parser)
