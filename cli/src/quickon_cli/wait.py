"""``--wait``: follow an operation until it ends, with a live display on a terminal.

The operation is polled about every 0.3 s (``GET /api/v1/operations/{id}``) and, for a service,
the service too (``GET /api/v1/services/{name}``) for its pods. On a terminal a ``rich`` live
view shows each step with its state, pods ready and the time spent; elsewhere each change is one
plain line. The exit code is 0 when the operation succeeded, 1 when it failed or the wait gave up.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import operations as ops
from . import output
from .errors import ApiError

if TYPE_CHECKING:  # rich's live view loads only on a terminal, when it is drawn (a start of qc stays quick)
    from rich.console import RenderableType

    from .client import Client

INTERVAL_S = 0.3
# Without --wait, how long qc waits for the owning service to take the operation up or refuse it: a
# refusal (no such service, name taken, a bad schedule) comes within a second or two, and a command
# that will be refused at once must not say "accepted" and exit 0.
ACCEPT_WINDOW_S = 5.0
ICONS = {"completed": ("✓", "green"), "failed": ("✗", "red"), "compensated": ("↺", "yellow")}


@dataclass
class Watch:
    """What is known of the operation so far."""

    operation: dict[str, Any]
    started: float = field(default_factory=time.monotonic)
    pods: tuple[int, int] | None = None
    note: str | None = None  # a transient read failure, shown until the next good read

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def done(self) -> bool:
        return self.operation.get("state") in ops.DONE


def render(watch: Watch) -> RenderableType:
    """The live view: a title, one row per step, pods ready and elapsed time."""
    from rich.console import Group
    from rich.spinner import Spinner
    from rich.table import Table
    from rich.text import Text

    op = watch.operation
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=2)
    grid.add_column()
    grid.add_column(style="dim")
    for name, state, detail in ops.steps(op):
        icon: RenderableType
        if state in ICONS:
            mark, style = ICONS[state]
            icon = Text(mark, style=style)
        else:
            icon = Spinner("dots", style="cyan")
        grid.add_row(icon, Text(name), Text(detail or state))
    footer = Text(f"{op.get('state', 'pending')} · {watch.elapsed:.1f}s", style="dim")
    if watch.pods is not None:
        footer = Text(f"pods ready {watch.pods[0]}/{watch.pods[1]} · ", style="bold").append(footer)
    parts: list[RenderableType] = [Text(f"{ops.title(op)} ({op.get('operation_id')})", style="bold"), grid, footer]
    if watch.note:
        parts.append(Text(watch.note, style="yellow"))
    return Group(*parts)


class PlainReporter:
    """One line per change, for logs and pipes."""

    def __init__(self) -> None:
        self.seen_steps = 0
        self.last_line: str | None = None
        self.pods: tuple[int, int] | None = None

    def update(self, watch: Watch) -> None:
        entries = [e for e in watch.operation.get("steps") or [] if isinstance(e, Mapping)]
        for entry in entries[self.seen_steps :]:
            detail = f" ({entry['detail']})" if entry.get("detail") else ""
            line = f"  {entry.get('step')}: {entry.get('state')}{detail}"
            if line != self.last_line:  # a step may log the same progress twice
                print(line, flush=True)
            self.last_line = line
        self.seen_steps = max(self.seen_steps, len(entries))
        # 0/0 before any pod exists says nothing; once pods were counted, every change counts.
        if watch.pods is not None and watch.pods != self.pods and (self.pods is not None or watch.pods[1] > 0):
            print(f"  pods ready {watch.pods[0]}/{watch.pods[1]}", flush=True)
            self.pods = watch.pods


def _poll(client: Client, watch: Watch, service: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """Read the operation (and its service) once; the service while it is still worth reading."""
    op_id = watch.operation.get("operation_id")
    try:
        watch.operation = client.get(f"/api/v1/operations/{op_id}")
        watch.note = None
    except ApiError as error:
        if error.status < 500:
            raise
        watch.note = f"the gateway could not answer for now: {error}"  # a service restarting; retry
    if service is None:
        return None
    try:
        detail = client.get(f"/api/v1/services/{service['service']}", namespace=service.get("namespace"))
    except ApiError as error:
        if error.status == 404:  # not there yet (install), or gone (uninstall)
            watch.pods = None
            return None if watch.operation.get("kind") == "uninstall" else service
        return service if error.status >= 500 else None
    watch.pods = output.pods_ready(detail.get("health") if isinstance(detail, Mapping) else None)
    return service


def follow(client: Client, operation: dict[str, Any], *, timeout: float, live: bool, quiet: bool = False) -> Watch:
    """Poll ``operation`` until it succeeds, fails, or ``timeout`` seconds pass (then ``done`` is false).
    ``live``: the rich view on stdout; else plain lines, or nothing at all when ``quiet``."""
    watch = Watch(operation=operation)
    target = ops.target_of(operation)
    service: Mapping[str, str] | None = target if "service" in target else None
    deadline = watch.started + timeout
    if live:
        from rich.console import Console
        from rich.live import Live

        console = Console(highlight=False)
        with Live(render(watch), console=console, refresh_per_second=10, transient=False) as view:
            while True:
                service = _poll(client, watch, service)
                view.update(render(watch))
                if watch.done or time.monotonic() >= deadline:
                    return watch
                time.sleep(INTERVAL_S)
    reporter = PlainReporter()
    if not quiet:
        print(f"Waiting for {ops.title(operation)} (operation {operation.get('operation_id')})", flush=True)
    while True:
        service = _poll(client, watch, service)
        if not quiet:
            reporter.update(watch)
        if watch.done or time.monotonic() >= deadline:
            return watch
        time.sleep(INTERVAL_S)


def until_taken_up(client: Client, operation: dict[str, Any], *, window: float = ACCEPT_WINDOW_S) -> dict[str, Any]:
    """The operation once its service has taken it up (running), refused or ended it, or as it is after
    ``window`` seconds (still pending: that service is busy or away, and will take it up later). A read
    that fails ends the wait early with what is known: the gateway did accept the command."""
    deadline = time.monotonic() + window
    while operation.get("state", "pending") == "pending" and time.monotonic() < deadline:
        time.sleep(INTERVAL_S)
        try:
            operation = client.get(f"/api/v1/operations/{operation.get('operation_id')}")
        except ApiError:
            break
    return operation


def conclude(watch: Watch, *, timeout: float, json_output: bool) -> int:
    """Print how the wait ended; the exit code (0 succeeded, 1 failed or gave up)."""
    op = watch.operation
    if json_output:
        output.emit_json(op)
    if not watch.done:
        output.say_error(
            [
                f"error: gave up waiting after {timeout:.0f}s: {ops.title(op)} is still {op.get('state')}"
                + (f" (step {op['step']})" if op.get("step") else ""),
                f"  it goes on without qc; follow it with: qc operation {op.get('operation_id')} --wait",
            ]
        )
        return 1
    if op.get("state") == "failed":
        output.say_error(ops.failure_lines(op))
        return 1
    if not json_output:
        figures = ops.result_text(op)
        print(f"✓ {ops.title(op)} succeeded in {watch.elapsed:.1f}s" + (f": {figures}" if figures else ""), flush=True)
    return 0


def wait_for(client: Client, operation: dict[str, Any], *, timeout: float, json_output: bool) -> int:
    """Follow and conclude; Ctrl-C stops waiting, not the operation."""
    live = sys.stdout.isatty() and not json_output
    try:
        watch = follow(client, operation, timeout=timeout, live=live, quiet=json_output)
    except KeyboardInterrupt:
        op_id = operation.get("operation_id")
        output.say_error([f"stopped waiting; the operation goes on: qc operation {op_id} --wait"])
        return 130
    return conclude(watch, timeout=timeout, json_output=json_output)
