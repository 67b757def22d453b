"""``qc export NAME -o FILE`` and ``qc import FILE --name NEW``: a service to one file (a bundle, .qcb) and
back, on this QuickOn or another.

An export always waits: the file is what it is for. It is downloaded to ``FILE.part`` and renamed only when
whole, so an interrupted download never leaves a file that looks like a bundle. The passphrase that encrypts
the bundle's secret values comes from ``--passphrase-file`` or, on a terminal, is asked twice.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import io
import sys
import time
from pathlib import Path
from typing import Any

from .. import args as shared
from .. import output
from ..context import Context, UsageError
from ..wait import conclude, follow
from .base import command, submitted

PASSPHRASE_MIN = 8
PROGRESS_FROM = 8 * 1024 * 1024  # files smaller than this upload too fast for a progress line to help
UPLOAD_TIMEOUT_S = 3600.0  # the answer comes once the gateway has stored the whole bundle


def _passphrase(ctx: Context, *, confirm: bool) -> str:
    """From --passphrase-file (its first line), else asked on a terminal (twice when ``confirm``)."""
    given: str | None = ctx.args.passphrase_file
    if given is not None:
        try:
            with Path(given).open(encoding="utf-8") as file:
                found = file.readline().rstrip("\r\n")
        except OSError as error:
            raise UsageError(f"cannot read the passphrase file {given}: {error.strerror or error}") from None
        if not found:
            raise UsageError(f"the first line of {given} is empty; write the passphrase there")
        return found
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask the passphrase on; give it with --passphrase-file FILE (its first line)")
    first = getpass.getpass("Passphrase: ")
    if confirm:
        if len(first) < PASSPHRASE_MIN:
            raise UsageError(f"a passphrase is at least {PASSPHRASE_MIN} characters; run the command again")
        if getpass.getpass("Again: ") != first:
            raise UsageError("the two passphrases differ; run the command again")
    return first


def export(ctx: Context) -> int:
    a = ctx.args
    helm = a.format == "helm"
    target = Path(a.output or (f"{a.name}-helm.tgz" if helm else f"{a.name}.qcb"))
    if target.is_dir():
        raise UsageError(f"{target} is a directory; give -o a file name, such as {target / (a.name + '.qcb')}")
    body: dict[str, Any] = {"format": a.format}
    if not helm:
        body["passphrase"] = _passphrase(ctx, confirm=True)
    operation = ctx.client.post(f"/api/v1/services/{a.name}/export", body, namespace=ctx.namespace)
    output.say_warnings(operation.get("warnings"))
    live = ctx.tty and not ctx.json
    watch = follow(ctx.client, operation, timeout=a.timeout, live=live, quiet=ctx.json)
    if not watch.done or watch.operation.get("state") != "succeeded":
        return conclude(watch, timeout=a.timeout, json_output=ctx.json)
    op_id = str(watch.operation.get("operation_id"))
    size, sha256 = _download(ctx, op_id, target)
    summary = {"path": str(target), "size_bytes": size, "sha256": sha256, "operation_id": op_id}
    text = f"✓ exported {a.name} to {target} ({output.size(size)}, sha256 {sha256})"
    if not helm:
        text += f"\n  import it with: qc import {target} --name NEW (the same passphrase)"
    ctx.show(summary, text)
    return 0


def _download(ctx: Context, operation_id: str, target: Path) -> tuple[int, str]:
    """The export's bundle written to ``target`` (through ``target.part``); its size and SHA-256."""
    partial = target.with_name(target.name + ".part")
    digest, size = hashlib.sha256(), 0
    params = {"operation": operation_id, "namespace": ctx.namespace}
    try:
        path = f"/api/v1/services/{ctx.args.name}/export"
        with partial.open("wb") as sink, ctx.client.stream_bytes(path, params=params, timeout=120) as chunks:
            for chunk in chunks:
                sink.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        partial.replace(target)  # only a whole bundle takes the name
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


class _Counted(io.FileIO):
    """A file read for an upload, saying on stderr how much of it has gone (on a terminal, for large files)."""

    def __init__(self, path: Path, *, show: bool) -> None:
        super().__init__(path, "rb")
        self.total = path.stat().st_size
        self.sent = 0
        self.show = show and self.total >= PROGRESS_FROM
        self.shown_at = 0.0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.sent += len(data or b"")
        now = time.monotonic()
        if self.show and (now - self.shown_at > 0.5 or self.sent >= self.total):
            self.shown_at = now
            percent = 100 * self.sent // max(self.total, 1)
            print(f"\ruploading {output.size(self.sent)} of {output.size(self.total)} ({percent}%)", end="",
                  file=sys.stderr, flush=True)  # fmt: skip
        return data or b""


def import_bundle(ctx: Context) -> int:
    a = ctx.args
    source = Path(a.file)
    if not source.is_file():
        raise UsageError(f"there is no file {source}; give the .qcb bundle qc export wrote")
    domains = "false" if a.no_domains else "true"
    form = {"name": a.name, "passphrase": _passphrase(ctx, confirm=False), "domains": domains}
    if a.team:
        form["team"] = a.team
    with _Counted(source, show=sys.stderr.isatty() and not ctx.json) as file:
        operation = ctx.client.request(
            "POST", "/api/v1/imports", data=form, files={"bundle": (source.name, file, "application/octet-stream")},
            timeout=max(UPLOAD_TIMEOUT_S, a.timeout),
        )  # fmt: skip
        if file.show:
            print(file=sys.stderr)
    return submitted(ctx, operation)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parents = [common]
    parser = command(
        commands, "export", export, parents=parents, help="export a service to one file (a bundle, for qc import)",
        description="Export a service: a fresh backup of its data, its chart, values and settings, in one file (a "
        "bundle, .qcb) whose secret values are encrypted under a passphrase. Waits for the export, then downloads "
        "it. With --format helm: the chart and its values without secrets or data, for helm install anywhere.",
    )  # fmt: skip
    parser.add_argument("name", metavar="NAME", help="the service")
    parser.add_argument("-o", "--output", metavar="FILE", help="where to write it (default NAME.qcb, NAME-helm.tgz)")
    parser.add_argument(
        "--passphrase-file", metavar="F", help="read the passphrase from F's first line (else asked, twice)"
    )
    parser.add_argument("--format", choices=("quickon", "helm"), default="quickon", help="default quickon")
    shared.add_namespace(parser)
    parser.add_argument(
        "--timeout", type=shared.positive_seconds, default=shared.DEFAULT_TIMEOUT_S, metavar="SECONDS",
        help=f"give up waiting for the export after this long (default {shared.DEFAULT_TIMEOUT_S:.0f})",
    )  # fmt: skip

    parser = command(
        commands, "import", import_bundle, parents=parents, help="import a bundle (qc export's file) as a new service",
        description="Upload a bundle qc export made and install it as a new service, its data restored.",
    )  # fmt: skip
    parser.add_argument("file", metavar="FILE", help="the bundle (.qcb)")
    parser.add_argument("--name", required=True, metavar="NEW", help="the new service's name")
    parser.add_argument("--team", metavar="T", help="the team it belongs to (default: your only team's)")
    parser.add_argument("--passphrase-file", metavar="F", help="read the passphrase from F's first line (else asked)")
    parser.add_argument("--no-domains", action="store_true", help="leave the bundle's custom domains out")
    shared.add_wait(parser)
