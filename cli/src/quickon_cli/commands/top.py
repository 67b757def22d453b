"""``qc top services`` and ``qc top nodes``: what is in use now, as ``kubectl top`` shows it.

Usage comes from the named series of ``GET /api/v1/metrics/query``, asked once per series (per namespace,
for services) for its value now; what the nodes hold and allow, from ``GET /api/v1/overview``. When
Prometheus cannot answer, the rest is still shown and a line on stderr says why.
"""

from __future__ import annotations

import argparse
import operator
from collections.abc import Callable
from typing import Any

from .. import output
from ..context import Context
from ..errors import ApiError, problem_detail
from .base import command

SERVICE_SERIES = ("service_cpu", "service_memory", "service_restarts")


def _now(
    ctx: Context, series: str, key: Callable[[dict[str, str]], str], missing: list[str], *,
    combine: Callable[[float, float], float] = operator.add, **params: Any,
) -> dict[str, float]:  # fmt: skip
    """The series' values now, by ``key`` of their labels (``combine``d when several share one). When the
    metrics cannot be read (Prometheus down) the reason goes in ``missing``, the numbers stay blank, and
    nothing more is asked."""
    if missing:
        return {}
    try:
        answer = ctx.client.get("/api/v1/metrics/query", series=series, since=0, **params)
    except ApiError as error:
        if error.status not in (502, 503, 504):
            raise
        missing.append(problem_detail(error.status, error.problem))
        return {}
    found: dict[str, float] = {}
    for item in answer.get("result", []):
        name, value = key(item.get("labels", {})), (item.get("points") or [[0, None]])[-1][1]
        if name and value is not None:
            found[name] = combine(found[name], float(value)) if name in found else float(value)
    return found


def _cpu(cores: float | None) -> str:
    """CPU in millicores, as kubectl top shows it: ``250m``."""
    if cores is None:
        return ""
    milli = cores * 1000
    return f"{milli:.1f}m" if milli < 10 else f"{milli:.0f}m"


def _percent(used: float | None, of: float | None) -> str:
    return "" if used is None or not of else f"{100 * used / of:.0f}%"


def _against(usage: dict[str, Any], show: Callable[[Any], str]) -> str:
    """What is requested against what there is: ``100m of 12000m (1%)``."""
    requested, capacity = usage["requested"], usage.get("capacity")
    if capacity is None:
        return f"{show(requested)} (the capacity is unknown)"
    return f"{show(requested)} of {show(capacity)} ({_percent(requested, capacity) or '-'})"


def by_service(labels: dict[str, str]) -> str:
    return f"{labels.get('namespace')}/{labels.get('service')}"


def by_node(labels: dict[str, str]) -> str:
    return labels.get("node", "")  # the host's own node-exporter names no node: left out


def top_services(ctx: Context) -> int:
    services = ctx.client.get("/api/v1/services", namespace=ctx.namespace, limit=1000).get("services", [])
    missing: list[str] = []
    usage: dict[str, dict[str, float]] = {name: {} for name in SERVICE_SERIES}
    for namespace in sorted({s["namespace"] for s in services}):
        for name in SERVICE_SERIES:
            usage[name] |= _now(ctx, name, by_service, missing, namespace=namespace)
    rows, found = [], []
    for s in services:
        key = f"{s['namespace']}/{s['service']}"
        cpu, memory, restarts = (usage[name].get(key) for name in SERVICE_SERIES)
        found.append({"service": s["service"], "namespace": s["namespace"], "status": s.get("status"),
                      "cpu_cores": cpu, "memory_bytes": memory, "restarts": restarts})  # fmt: skip
        rows.append([s["service"], s["namespace"], s.get("status"), _cpu(cpu), output.size(memory),
                     "" if restarts is None else f"{restarts:.0f}"])  # fmt: skip
    _say_missing(missing)
    empty = "No services yet. Install one: qc apps, then qc install APP --wait"
    headers = ["name", "namespace", "status", "cpu", "memory", "restarts"]
    ctx.show({"services": found}, output.table(headers, rows) if rows else empty)
    return 0


def top_nodes(ctx: Context) -> int:
    resources = ctx.client.get("/api/v1/overview")["resources"]
    nodes = resources.get("per_node")
    if nodes is None:  # not a platform admin: the cluster's totals are what there is to see
        text = output.fields([
            ("Nodes", f"{resources['nodes_ready']} ready of {resources['nodes']}"),
            ("CPU requested", _against(resources["cpu"], lambda m: f"{m}m")),
            ("Memory requested", _against(resources["memory"], output.size)),
        ])  # fmt: skip
        ctx.show(resources, text + "\n(each node's usage is shown to platform admins)")
        return 0
    missing: list[str] = []
    cpu, memory = _now(ctx, "node_cpu", by_node, missing), _now(ctx, "node_memory", by_node, missing)
    disk = _now(ctx, "node_disk", by_node, missing, combine=max)  # a node's fullest file system
    rows, found = [], []
    for n in nodes:
        name = n["name"]
        used_cpu, used_memory = cpu.get(name), memory.get(name)
        allocatable_cpu = n["cpu_m"] / 1000
        found.append({**n, "cpu_used_cores": used_cpu, "memory_used_bytes": used_memory,
                      "disk_used_percent": disk.get(name)})  # fmt: skip
        rows.append([
            name, n.get("ready"), f"{_cpu(used_cpu) or '-'}/{_cpu(allocatable_cpu)}",
            _percent(used_cpu, allocatable_cpu), f"{output.size(used_memory) or '-'}/{output.size(n['memory_bytes'])}",
            _percent(used_memory, n["memory_bytes"]), n.get("pods"),
            "" if disk.get(name) is None else f"{disk[name]:.0f}%",
        ])  # fmt: skip
    _say_missing(missing)
    headers = ["node", "ready", "cpu", "cpu%", "memory", "memory%", "pods", "disk%"]
    ctx.show({"nodes": found, "cluster": resources}, output.table(headers, rows) if rows else "No nodes.")
    return 0


def _say_missing(missing: list[str]) -> None:
    if missing:
        output.say_error([f"usage unknown: {missing[0]}"])


def top(ctx: Context) -> int:
    return top_nodes(ctx) if ctx.args.what == "nodes" else top_services(ctx)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parser = command(
        commands, "top", top, parents=[common], help="CPU, memory and restarts of services, or of nodes (admins)",
        description="What is in use now: qc top [services] [-n NAMESPACE] | qc top nodes (platform admins; "
        "others see the cluster's totals). Usage is read from Prometheus through the gateway.",
    )  # fmt: skip
    parser.add_argument("what", nargs="?", choices=("services", "nodes"), default="services")
    parser.add_argument("-n", "--namespace", help="only this namespace's services (default: every one you see)")
