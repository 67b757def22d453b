"""What commands print: JSON for scripts, aligned tables and ``key: value`` blocks for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # rich loads when something is drawn with it, not at every start of qc
    from rich.console import Console
    from rich.text import Text

NONE = "-"


def emit_json(value: Any, *, stream: TextIO | None = None, compact: bool = False) -> None:
    """One JSON document (``compact``: on one line, as ``events`` prints each event)."""
    out = stream or sys.stdout
    text = json.dumps(value, separators=(",", ":")) if compact else json.dumps(value, indent=2)
    out.write(text + "\n")
    out.flush()


def cell(value: Any) -> str:
    """A value as a table cell: ``-`` for nothing, ``yes``/``no`` for booleans."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(cell(v) for v in value) or NONE
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Columns aligned with two spaces between them, as ``kubectl get`` prints; the last column is
    not padded, so long descriptions do not push trailing blanks."""
    cells = [[cell(v) for v in row] for row in rows]
    heads = [h.upper() for h in headers]
    widths = [max([len(heads[i]), *(len(r[i]) for r in cells)]) for i in range(len(heads))]
    lines = []
    for row in [heads, *cells]:
        padded = [text.ljust(widths[i]) if i < len(row) - 1 else text for i, text in enumerate(row)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def size(value: Any) -> str:
    """Bytes for people: ``1.5 GiB``."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return str(value)


def fields(pairs: Iterable[tuple[str, Any]]) -> str:
    """``Key:   value`` lines, the values aligned."""
    items = [(k, cell(v)) for k, v in pairs]
    width = max((len(k) for k, _ in items), default=0) + 1
    return "\n".join(f"{(k + ':').ljust(width)}  {v}" for k, v in items)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp from the API, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def ago(value: Any, *, now: datetime | None = None) -> str:
    """How long ago a timestamp was, as ``kubectl`` shows ages: ``45s``, ``12m``, ``3h``, ``5d``."""
    moment = parse_time(value)
    if moment is None:
        return NONE
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def short_time(value: Any) -> str:
    """A timestamp as ``2024-10-09 08:00:00`` in local time, or ``-``."""
    moment = parse_time(value)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else NONE


def pods_ready(health: Any) -> tuple[int, int] | None:
    """Ready and wanted pods from a service's ``health``, or None when it says nothing about them."""
    if not isinstance(health, Mapping):
        return None
    workloads = health.get("workloads")
    if isinstance(workloads, list) and workloads:
        ready = sum(int(w.get("ready") or 0) for w in workloads if isinstance(w, Mapping))
        wanted = sum(int(w.get("desired") or 0) for w in workloads if isinstance(w, Mapping))
        return ready, wanted
    if isinstance(health.get("pods_ready"), int) and isinstance(health.get("pods_total"), int):
        return int(health["pods_ready"]), int(health["pods_total"])
    pods = health.get("pods")
    if isinstance(pods, list):
        return sum(1 for p in pods if isinstance(p, Mapping) and p.get("ready")), len(pods)
    return None


def error_console() -> Console:
    """Where errors go: stderr, colored only on a terminal."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def stdout_console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def say_error(lines: Sequence[str]) -> None:
    """Print an error (``error: ...`` and its indented details) on stderr."""
    from rich.text import Text

    console = error_console()
    for index, line in enumerate(lines):
        console.print(Text(line, style="bold red" if index == 0 else ""))


def say_warnings(warnings: Any) -> None:
    """Print the gateway's warnings about a request (``warning: <field>: <message>``) on stderr, so that
    ``--json`` output stays one document."""
    if not isinstance(warnings, list) or not warnings:
        return
    from rich.text import Text

    console = error_console()
    for warning in warnings:
        if isinstance(warning, Mapping):
            where = str(warning.get("field", "")).removeprefix("body.")
            console.print(Text(f"warning: {where}: {warning.get('message', '')}", style="yellow"))


STATUS_STYLES = {
    "running": "green", "succeeded": "green", "completed": "green", "ready": "green", "synced": "green",
    "failed": "red", "degraded": "yellow", "stopped": "dim", "pending": "dim",
}  # fmt: skip


def styled(text: str) -> Text:
    """A status word, colored on a terminal by what it means."""
    from rich.text import Text

    return Text(text, style=STATUS_STYLES.get(text, "cyan" if text.endswith("ing") else ""))
