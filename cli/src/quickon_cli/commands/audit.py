"""``qc audit``: the tamper-evident log of every event — query, export, verify, prove one entry."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .. import args as shared
from .. import output
from ..context import Context, UsageError
from .base import command

FILTERS = ("actor", "team", "type", "context", "subject", "source", "service", "correlation_id", "since", "until")
PROGRESS_EVERY = 10_000


def _filters(ctx: Context) -> dict[str, Any]:
    chosen = {name: getattr(ctx.args, name) for name in FILTERS}
    if ctx.args.flagged:
        chosen["flagged"] = "true"
    return chosen


def _short_type(kind: Any) -> str:
    text = str(kind or "")
    return text.removeprefix("io.quickon.").rsplit(".v", 1)[0] if text.startswith("io.quickon.") else text


def entries(ctx: Context) -> int:
    if ctx.args.export:
        return export(ctx)
    answer = ctx.client.get("/api/v1/audit", **_filters(ctx), limit=ctx.args.limit, cursor=ctx.args.cursor)
    rows = [
        [e.get("seq"), output.short_time(e.get("time")), _short_type(e.get("type")), e.get("actor"),
         e.get("service") or e.get("ce_subject"), "FLAGGED" if e.get("flagged") else ""]
        for e in answer.get("entries", [])
    ]  # fmt: skip
    text = output.table(["seq", "time", "type", "actor", "about", "flag"], rows) if rows else "No entries match."
    if answer.get("next_cursor"):
        text += f"\nOlder: qc audit --cursor {answer['next_cursor']} (with the same filters)"
    ctx.show(answer, text)
    return 0


def _format(ctx: Context, target: str) -> str:
    if ctx.args.format:
        return str(ctx.args.format)
    return "csv" if target.lower().endswith(".csv") else "jsonl"


def export(ctx: Context) -> int:
    if ctx.args.cursor:
        raise UsageError("--export takes every matching entry; leave out --cursor")
    target = ctx.args.export
    fmt = _format(ctx, target)
    params = {**_filters(ctx), "format": fmt}
    path = None if target == "-" else Path(target)
    partial = path.with_name(path.name + ".partial") if path else None
    lines = 0
    sink: BinaryIO = partial.open("wb") if partial else sys.stdout.buffer
    try:
        with ctx.client.stream_bytes("/api/v1/audit/export", params=params, timeout=120) as chunks:
            for chunk in chunks:
                sink.write(chunk)
                before, lines = lines, lines + chunk.count(b"\n")
                if path and ctx.tty and not ctx.json and before // PROGRESS_EVERY != lines // PROGRESS_EVERY:
                    print(f"\r{lines} lines…", end="", file=sys.stderr, flush=True)
    finally:
        if partial:
            sink.close()
    if path and partial:
        partial.replace(path)  # only a finished export takes the name
        entries_written = max(0, lines - 1) if fmt == "csv" else lines
        summary = {"exported": entries_written, "format": fmt, "file": str(path)}
        ctx.show(summary, f"\rExported {entries_written} entries as {fmt} to {path}")
    return 0


def verify(ctx: Context) -> int:
    if not ctx.json and ctx.tty:
        print("Verifying the whole audit log and every checkpoint signature…", file=sys.stderr, flush=True)
    verdict = ctx.client.request("GET", "/api/v1/audit/verify", timeout=600)
    if verdict.get("ok"):
        text = (
            f"The audit log is intact: {verdict.get('entries')} entries and {verdict.get('checkpoints')} signed "
            f"checkpoints verified in {verdict.get('duration_s')}s (head at {verdict.get('head_sequence')})."
        )
    else:
        text = (
            f"The audit log was TAMPERED WITH: the first bad entry is {verdict.get('first_bad_sequence')}: "
            f"{verdict.get('reason')}\nInspect it: qc audit --cursor {int(verdict.get('first_bad_sequence') or 0) + 1}"
        )
    ctx.show(verdict, text)
    return 0 if verdict.get("ok") else 1


def proof(ctx: Context) -> int:
    found: Mapping[str, Any] = ctx.client.get(f"/api/v1/audit/entries/{ctx.args.seq}/proof")
    if ctx.args.output:
        Path(ctx.args.output).write_text(json.dumps(found, indent=2) + "\n")
    cp = found.get("checkpoint") or {}
    text = "\n".join(
        [
            output.fields(
                [
                    ("Entry", found.get("sequence")),
                    ("Type", _short_type((found.get("entry") or {}).get("type"))),
                    ("Entry hash", found.get("entry_hash")),
                    ("Checkpoint", f"{cp.get('first_sequence')}-{cp.get('sequence')} at {cp.get('time')}"),
                    ("Merkle root", cp.get("merkle_root")),
                    ("Path", f"{len(found.get('audit_path') or [])} hashes, leaf {found.get('leaf_index')} "
                             f"of {found.get('tree_size')}"),
                    ("Key", f"Ed25519 {cp.get('key_id')}"),
                ]
            ),
            "",
            "Check it offline: qc audit proof SEQ -o proof.json; python -m quickon_audit.offline proof.json "
            "--public-key KEY (the script needs only Python's standard library)",
        ]
    )  # fmt: skip
    ctx.show(found, text)
    return 0


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--actor", help="who did it (user name or id)")
    parser.add_argument("--team")
    parser.add_argument("--type", help="a CloudEvents type, e.g. io.quickon.deploy.install.requested.v1")
    parser.add_argument("--context", help="deploy, market, backup, monitor, audit, iam")
    parser.add_argument("--subject", help="a NATS subject, or a prefix such as qc.deploy.>")
    parser.add_argument("--source", help="the QuickOn service that published it")
    parser.add_argument("--service", help="the installed service it is about")
    parser.add_argument("--correlation-id", dest="correlation_id")
    parser.add_argument("--since", help="from this time (RFC 3339, e.g. 2026-12-01T10:00:00Z)")
    parser.add_argument("--until", help="before this time (RFC 3339)")
    parser.add_argument("--flagged", action="store_true", help="only what was not a valid event")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parser = command(
        commands, "audit", entries, parents=[common], help="the audit log: who did what, when (newest first)",
        description="The audit log, newest first. `qc audit verify` checks it; `qc audit proof SEQ` proves one entry.",
    )  # fmt: skip
    _add_filters(parser)
    parser.add_argument("--limit", type=shared.positive_int, default=20, help="entries per page (default 20)")
    parser.add_argument("--cursor", type=shared.positive_int, help="show entries older than this sequence")
    parser.add_argument("--export", metavar="FILE", help="every matching entry to FILE (- for stdout), streamed")
    parser.add_argument("--format", choices=("jsonl", "csv"), help="of --export (default: from FILE's extension)")
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION")
    check = actions.add_parser("verify", parents=[common], help="verify the whole log and every checkpoint")
    check.set_defaults(handler=verify)
    prove = actions.add_parser("proof", parents=[common], help="an inclusion proof of one entry, to check offline")
    prove.add_argument("seq", type=shared.positive_int, metavar="SEQ")
    prove.add_argument("-o", "--output", metavar="FILE", help="also write the proof as JSON to FILE")
    prove.set_defaults(handler=proof)
