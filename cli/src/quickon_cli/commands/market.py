"""``qc apps``, ``qc app``, ``qc scan``, ``qc repo`` and ``qc publish``: the app market."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import args as shared
from .. import output
from ..context import Context, UsageError
from .base import command, submitted

MAX_UPLOAD = 10 * 1024 * 1024
SCAN_WAIT_S = 120  # a first scan of a large chart


def apps(ctx: Context) -> int:
    answer = ctx.client.get(
        "/api/v1/apps",
        q=ctx.args.text,
        category=ctx.args.category,
        repository=ctx.args.repository,
        include_deprecated="true" if ctx.args.all else None,
        limit=ctx.args.limit,
    )
    found = answer.get("apps", [])
    rows = [
        [
            a.get("name"),
            a.get("latest_version"),
            a.get("app_version"),
            a.get("category"),
            a.get("repository"),
            a.get("description"),
        ]
        for a in found
    ]
    text = output.table(["name", "version", "app version", "category", "repository", "description"], rows)
    total = answer.get("total", len(found))
    if not found:
        text = "No app matches." if ctx.args.text or ctx.args.category else "The catalog is empty."
    elif isinstance(total, int) and total > len(found):
        text += f"\n({len(found)} of {total}; narrow the search or use --limit)"
    ctx.show(answer, text)
    return 0


def version_lines(version: Mapping[str, Any]) -> list[str]:
    """One version and its changelog, as ``qc app`` and ``qc upgrade --preview`` list them."""
    marks = [
        m
        for m, on in (
            ("breaking", version.get("breaking")),
            ("security", version.get("contains_security_updates")),
            ("pre-release", version.get("prerelease")),
            ("deprecated", version.get("deprecated")),
        )
        if on
    ]
    about = ", ".join(
        x
        for x in (
            f"app {version['app_version']}" if version.get("app_version") else "",
            output.short_time(version.get("created"))[:10] if version.get("created") else "",
        )
        if x
    )
    head = str(version.get("version")) + (f" ({about})" if about else "") + "".join(f" [{m}]" for m in marks)
    lines = [head]
    for change in version.get("changes") or []:
        if isinstance(change, Mapping):
            lines.append(f"  - {change.get('kind', 'changed')}: {change.get('description', '')}")
        else:
            lines.append(f"  - {change}")
    return lines


def app(ctx: Context) -> int:
    if ctx.args.values:
        chosen = ctx.client.get(
            f"/api/v1/apps/{ctx.args.app}/versions/{ctx.args.version or 'latest'}", repository=ctx.args.repository
        )
        ctx.show(chosen, str(chosen.get("values_yaml") or "").rstrip("\n") or "# (no default values)")
        return 0
    found = ctx.client.get(f"/api/v1/apps/{ctx.args.app}", repository=ctx.args.repository)
    versions = found.get("version_list")
    if not isinstance(versions, list):
        versions = found.get("versions") if isinstance(found.get("versions"), list) else []
    head = output.fields(
        [
            ("App", f"{found.get('title') or found.get('name')} ({found.get('repository')}/{found.get('name')})"),
            ("Description", found.get("description")),
            ("Category", found.get("category")),
            ("Latest", found.get("latest_version")),
            ("Home", found.get("home")),
            ("License", found.get("license")),
        ]
    )
    lines = [head, "", "Versions (newest first):"]
    for version in versions:
        lines.extend(f"  {line}" for line in version_lines(version))
    # The market names the app as it must be installed: repository/name when another repository serves it too.
    name = found.get("install_as") or f"{found.get('repository')}/{found.get('name')}"
    lines.append(f"\nInstall it: qc install {name} --wait   (default values: qc app {name} --values)")
    ctx.show(found, "\n".join(lines))
    return 0


def scan(ctx: Context) -> int:
    """A chart version's security scan (a first one runs now, and is waited for), or with ``--service`` the scan
    of what an installed service deploys."""
    if ctx.args.service:
        if ctx.args.target:
            raise UsageError("name either an app (APP[@VERSION]) or --service NAME, not both")
        path, query = f"/api/v1/services/{ctx.args.service}/scan", {"namespace": ctx.namespace}
    elif ctx.args.target:
        app, _, version = ctx.args.target.partition("@")
        path, query = f"/api/v1/apps/{app}/versions/{version or 'latest'}/scan", {"repository": ctx.args.repository}
    else:
        raise UsageError(
            "name the app to scan (qc scan APP[@VERSION]) or an installed service (qc scan --service NAME)"
        )
    deadline = time.monotonic() + SCAN_WAIT_S
    report = ctx.client.get(path, **query)
    while report.get("state") == "scanning" and time.monotonic() < deadline:
        time.sleep(1)
        report = ctx.client.get(path, **query)
    ctx.show(report, _report_text(report))
    return 0


def _report_text(report: Mapping[str, Any]) -> str:
    counts = report.get("counts") or {}
    if report.get("service"):
        what = (
            "Service",
            f"{report['service']} (namespace {report.get('namespace')}, revision {report.get('revision')})",
        )
    else:
        what = ("App", f"{report.get('app')} {report.get('version')}")
    head = output.fields(
        [
            what,
            ("State", report.get("state")),
            ("Scanner", report.get("scanner")),
            ("Scanned", report.get("scanned_at")),
            ("Error", report.get("error")),
            ("Findings", ", ".join(f"{n} {s.lower()}" for s, n in counts.items() if n) or "none"),
        ]
    )
    rows = [
        [f.get("severity"), f.get("id"), f.get("title"), _where(f), f.get("resolution")]
        for f in report.get("findings") or []
    ]
    images = [
        [i.get("repository"), i.get("tag"), i.get("digest") or "(not pinned)"] for i in report.get("images") or []
    ]
    parts = [head]
    if rows:
        parts += ["", output.table(["severity", "id", "title", "where", "fix"], rows)]
    if images:
        parts += ["", output.table(["image", "tag", "digest"], images)]
    if report.get("warnings"):
        parts += ["", "The platform's scan policy flags: " + "; ".join(report["warnings"])]
    if report.get("state") == "scanning":
        parts.append("\nStill scanning; run the same command again shortly.")
    elif report.get("state") == "off":
        parts.append("\nService scans are turned off on this platform (QC_DEPLOYER_SCAN_SERVICES); ask its operator.")
    return "\n".join(parts)


def _where(finding: Mapping[str, Any]) -> str:
    if finding.get("file"):
        return f"{finding['file']}:{finding.get('line') or '?'}"
    return f"{finding.get('object_kind')}/{finding.get('object_name')}"


def repo_list(ctx: Context) -> int:
    answer = ctx.client.get("/api/v1/repositories")
    rows = [
        [
            r.get("name"),
            r.get("url"),
            r.get("status"),
            r.get("apps"),
            output.ago(r.get("synced_at")),
            r.get("last_error"),
        ]
        for r in answer.get("repositories", [])
    ]
    ctx.show(answer, output.table(["name", "url", "status", "apps", "synced", "last error"], rows))
    return 0


def repo_add(ctx: Context) -> int:
    return submitted(ctx, ctx.client.post("/api/v1/repositories", {"name": ctx.args.name, "url": ctx.args.repo_url}))


def repo_refresh(ctx: Context) -> int:
    return submitted(ctx, ctx.client.post(f"/api/v1/repositories/{ctx.args.name}/refresh"))


def repo_remove(ctx: Context) -> int:
    return submitted(ctx, ctx.client.delete(f"/api/v1/repositories/{ctx.args.name}"))


def publish(ctx: Context) -> int:
    path = Path(ctx.args.chart)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror or error}") from None
    if len(data) > MAX_UPLOAD:
        raise UsageError(f"{path} is {len(data) / 1048576:.1f} MiB; the gateway takes charts up to 10 MiB")
    answer = ctx.client.request("POST", "/api/v1/charts", files={"chart": (path.name, data, "application/gzip")})
    done = answer.get("published", {})
    ctx.show(
        answer,
        f"Published {done.get('app')} {done.get('version')} to the {done.get('repository')} repository "
        f"(digest {str(done.get('digest'))[:19]})",
    )
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parents = [common]
    parser = command(commands, "apps", apps, parents=parents, help="search the app catalog")
    parser.add_argument("text", nargs="?", help="words to look for in names, titles, keywords, descriptions")
    parser.add_argument("--category", help="only apps of this category")
    parser.add_argument("--repository", help="only apps of this repository")
    parser.add_argument("--all", action="store_true", help="include deprecated apps")
    parser.add_argument("--limit", type=shared.positive_int, default=None, help="at most this many")
    parser = command(commands, "app", app, parents=parents, help="an app's versions with their changelogs")
    parser.add_argument("app")
    parser.add_argument("--repository", help="when several repositories have an app of that name")
    parser.add_argument("--values", action="store_true", help="print a version's default values (YAML) instead")
    parser.add_argument("--version", help="with --values: which version (default: the latest stable)")
    parser = command(
        commands, "scan", scan, parents=parents,
        help="a chart version's security scan (Trivy) before installing it, or an installed service's (--service)",
    )  # fmt: skip
    parser.add_argument(
        "target", nargs="?", metavar="APP[@VERSION]", help="the app, and a version (default: the latest stable)"
    )
    parser.add_argument("--repository", help="when several repositories have an app of that name")
    parser.add_argument("--service", metavar="NAME", help="the scan of what this installed service deploys instead")
    shared.add_namespace(parser)

    repo = commands.add_parser("repo", help="chart repositories", description="Chart repositories of the market.")
    actions = repo.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(actions, "list", repo_list, parents=parents, help="the repositories and their state")
    parser = command(actions, "add", repo_add, parents=parents, help="add a Helm chart repository")
    parser.add_argument("name")
    parser.add_argument("repo_url", metavar="URL", help="the repository's URL (its index.yaml is read)")
    shared.add_wait(parser)
    for name, handler, about in (
        ("refresh", repo_refresh, "read a repository again now"),
        ("remove", repo_remove, "remove a repository and its apps from the catalog"),
    ):
        parser = command(actions, name, handler, parents=parents, help=about)
        parser.add_argument("name")
        shared.add_wait(parser)

    parser = command(
        commands, "publish", publish, parents=parents, help="publish a packaged chart to the local repository"
    )
    parser.add_argument("chart", metavar="CHART.tgz")
