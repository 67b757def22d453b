"""``qc start|stop|restart``, ``qc upgrade`` (and its preview) and ``qc rollback``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import args as shared
from .. import output
from ..context import Context
from .base import command, submitted
from .market import version_lines
from .services import user_values

if TYPE_CHECKING:  # rich loads when a preview is drawn, not at every start of qc
    from rich.text import Text

CHANGE_MARKS = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}


def _power(action: str) -> Any:
    def run(ctx: Context) -> int:
        return submitted(ctx, ctx.client.post(f"/api/v1/services/{ctx.args.name}/{action}", namespace=ctx.namespace))

    run.__doc__ = f"{action} a service"
    return run


def _shown(value: Any) -> str:
    return "(unset)" if value is None else json.dumps(value)


def preview_text(preview: Mapping[str, Any]) -> list[Text]:
    """An upgrade preview for people: changelog, breaking flag, values and objects that change."""
    from rich.text import Text

    lines = [
        Text(
            f"Upgrade {preview.get('service')}: {preview.get('from_version')} -> {preview.get('to_version')}",
            style="bold",
        )
    ]
    if preview.get("breaking"):
        lines.append(Text("BREAKING: a version on the way needs attention; read its changelog", style="bold red"))
    changelog = [v for v in preview.get("changelog") or [] if isinstance(v, Mapping)]
    lines.append(Text("\nChangelog:" if changelog else "\nChangelog: (same version)"))
    for version in changelog:
        lines += [Text(f"  {line}") for line in version_lines(version)]
    errors = preview.get("values_errors") or []
    if errors:
        lines.append(Text("\nThe values would be refused:", style="bold red"))
        lines += [Text(f"  {e}", style="red") for e in errors]
    diff = [d for d in preview.get("values_diff") or [] if isinstance(d, Mapping)]
    lines.append(Text("\nValues:" if diff else "\nValues: unchanged"))
    for change in diff:
        mark, style = CHANGE_MARKS.get(str(change.get("change")), ("~", "yellow"))
        text = f"  {mark} {change.get('path')}: " + (
            _shown(change.get("after"))
            if change.get("change") == "added"
            else _shown(change.get("before"))
            if change.get("change") == "removed"
            else f"{_shown(change.get('before'))} -> {_shown(change.get('after'))}"
        )
        lines.append(Text(text, style=style))
    lines += manifest_text(preview.get("manifest_diff"))
    return lines


def manifest_text(manifests: Any) -> list[Text]:
    """The rendered objects an upgrade adds, removes and changes, each change with its diff."""
    from rich.text import Text

    if not isinstance(manifests, Mapping):
        return [Text(f"\nObjects: {manifests}")] if manifests else []
    added, removed = manifests.get("added") or [], manifests.get("removed") or []
    changed = [c for c in manifests.get("changed") or [] if isinstance(c, Mapping)]
    lines = [
        Text(
            f"\nObjects: {len(added)} added, {len(removed)} removed, {len(changed)} changed, "
            f"{manifests.get('unchanged', 0)} unchanged"
        )
    ]
    lines += [Text(f"  + {key}", style="green") for key in added]
    lines += [Text(f"  - {key}", style="red") for key in removed]
    for change in changed:
        lines.append(Text(f"  ~ {change.get('object')}", style="yellow"))
        for row in str(change.get("diff") or "").splitlines():
            style = "green" if row.startswith("+") else "red" if row.startswith("-") else "dim"
            lines.append(Text(f"      {row}", style=style))
    return lines


def upgrade_plan(ctx: Context) -> str:
    """What an upgrade that names no version will do, said before it starts: the gateway takes the newest
    stable version above the service's own, as the market's upgrades list says (asked the same way here)."""
    name = ctx.args.name
    service = ctx.client.get(f"/api/v1/services/{name}", namespace=ctx.namespace)
    current = service.get("version")
    if not current:
        return f"Upgrading {name} (its version is not known; the gateway picks the newest stable one)"
    upgrades = ctx.client.get(
        f"/api/v1/apps/{service.get('app')}/upgrades", from_version=current, repository=service.get("repository")
    )
    newest = upgrades.get("latest") or current
    if newest == current:
        return f"{name} is on the newest stable version, {current}: applying it again with the values given"
    return f"Upgrading {name} from {current} to {newest}, the newest stable version (--version picks another)"


def upgrade(ctx: Context) -> int:
    body: dict[str, Any] = {"values": user_values(ctx), "reuse_values": not ctx.args.reset_values}
    if ctx.args.no_backup:
        body["backup_first"] = False
    if ctx.args.restore_data_on_failure:
        body["restore_data_on_failure"] = True
    if ctx.args.soak is not None:
        body["soak_seconds"] = ctx.args.soak
    if ctx.args.version:
        body["version"] = ctx.args.version
    if ctx.args.override_scan_policy:
        body["override_scan_policy"] = True
    path = f"/api/v1/services/{ctx.args.name}/upgrade"
    if not ctx.args.preview:
        if not ctx.args.version and not ctx.json:
            print(upgrade_plan(ctx), flush=True)
        return submitted(ctx, ctx.client.post(path, body, namespace=ctx.namespace))
    preview = ctx.client.post(f"{path}/preview", body, namespace=ctx.namespace)
    if ctx.json:
        output.emit_json(preview)
    else:
        console = output.stdout_console()
        for line in preview_text(preview):
            console.print(line)
        console.print("\nNothing was changed (preview).", style="dim")
    # A preview whose values would be refused fails, so that a script can check before upgrading.
    return 1 if preview.get("values_errors") else 0


def rollback(ctx: Context) -> int:
    body = {"revision": ctx.args.revision} if ctx.args.revision is not None else {}
    return submitted(ctx, ctx.client.post(f"/api/v1/services/{ctx.args.name}/rollback", body, namespace=ctx.namespace))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parents = [common]
    for action, about in (
        ("start", "start a stopped service"),
        ("stop", "stop a service (scale it to zero)"),
        ("restart", "restart a service's pods"),
    ):
        parser = command(commands, action, _power(action), parents=parents, help=about)
        parser.add_argument("name", metavar="NAME")
        shared.add_namespace(parser)
        shared.add_wait(parser)

    parser = command(commands, "upgrade", upgrade, parents=parents, help="upgrade a service (or change its values)")
    parser.add_argument("name", metavar="NAME")
    parser.add_argument(
        "--version",
        help="the target version (default: the newest stable one; name the current one to change only values)",
    )
    parser.add_argument(
        "--reset-values", action="store_true", help="start from the chart's defaults, not today's values"
    )
    parser.add_argument("--preview", action="store_true", help="show what would change (changelog, values, objects)")
    parser.add_argument("--no-backup", action="store_true", help="upgrade without taking a backup first")
    shared.add_override_scan_policy(parser)
    parser.add_argument(
        "--restore-data-on-failure", action="store_true",
        help="if the upgrade fails and is rolled back, bring the data back from its backup too",
    )  # fmt: skip
    parser.add_argument(
        "--soak", type=int, metavar="SECONDS",
        help="once the new version is ready, watch the service's alerts this long (up to 3600); "
        "one that fires rolls the upgrade back",
    )  # fmt: skip
    shared.add_namespace(parser)
    shared.add_values(parser)
    shared.add_wait(parser)

    parser = command(commands, "rollback", rollback, parents=parents, help="go back to an earlier revision")
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--revision", type=shared.positive_int, help="the revision (default: the previous one)")
    shared.add_namespace(parser)
    shared.add_wait(parser)
