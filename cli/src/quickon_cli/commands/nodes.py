"""``qc nodes``, ``qc node NAME`` and ``qc node cordon|uncordon|drain NAME``: the cluster's nodes (platform
admins), as ``kubectl get nodes``, ``kubectl describe node`` and ``kubectl cordon|uncordon|drain`` show them."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from .. import args as shared
from .. import output
from ..context import Context, UsageError
from .base import command, submitted

ACTIONS = ("cordon", "uncordon", "drain")


def _status(node: Mapping[str, Any]) -> str:
    """``Ready``, ``Ready,SchedulingDisabled``, ``NotReady``: kubectl's STATUS column."""
    status = "Ready" if node.get("ready") else "NotReady"
    return status + (",SchedulingDisabled" if node.get("unschedulable") else "")


def _milli(value: Any) -> str:
    return f"{value}m" if value is not None else ""


def list_nodes(ctx: Context) -> int:
    found = ctx.client.get("/api/v1/cluster/nodes")
    rows = [
        [
            n.get("name"), _status(n), f"{_milli(n.get('cpu_requested_m'))}/{_milli(n.get('cpu_allocatable_m'))}",
            f"{output.size(n.get('memory_requested_bytes'))}/{output.size(n.get('memory_allocatable_bytes'))}",
            f"{n.get('pod_count')}/{n.get('pods_allocatable')}", n.get("kubelet_version"),
            n.get("operation_id") or "",
        ]
        for n in found.get("nodes", [])
    ]  # fmt: skip
    headers = ["name", "status", "cpu req/alloc", "memory req/alloc", "pods", "version", "operation"]
    ctx.show(found, output.table(headers, rows) if rows else "No nodes.")
    return 0


def node_text(node: Mapping[str, Any]) -> str:
    taints = [f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}" for t in node["taints"]]
    conditions = [f"{c.get('type')}={c.get('status')}" for c in node.get("conditions", [])]
    text = output.fields([
        ("Name", node.get("name")), ("Status", _status(node)), ("Kubelet", node.get("kubelet_version")),
        ("CPU", f"{_milli(node.get('cpu_requested_m'))} requested of {_milli(node.get('cpu_allocatable_m'))} "
                f"allocatable ({_milli(node.get('cpu_capacity_m'))} capacity)"),
        ("Memory", f"{output.size(node.get('memory_requested_bytes'))} requested of "
                   f"{output.size(node.get('memory_allocatable_bytes'))} allocatable"),
        ("Pods", f"{node.get('pod_count')} of {node.get('pods_allocatable')}"),
        ("Conditions", ", ".join(conditions) or "-"), ("Taints", ", ".join(taints) or "<none>"),
        ("Operation", node.get("operation_id") or "-"),
    ])  # fmt: skip
    pods = [
        [p.get("namespace"), p.get("name"), p.get("owner") or "-", p.get("phase"), "yes" if p.get("ready") else "no"]
        for p in node.get("pods", [])
    ]
    return text + "\n\n" + (output.table(["namespace", "pod", "owner", "phase", "ready"], pods) if pods else "No pods.")


def node(ctx: Context) -> int:
    words: list[str] = ctx.args.words
    if len(words) == 1 and words[0] not in ACTIONS:
        found = ctx.client.get(f"/api/v1/cluster/nodes/{words[0]}")
        ctx.show(found, node_text(found))
        return 0
    if len(words) == 2 and words[0] in ACTIONS:
        action, name = words
        return submitted(ctx, ctx.client.post(f"/api/v1/cluster/nodes/{name}/{action}"))
    raise UsageError(
        "usage: qc node NAME | qc node cordon|uncordon|drain NAME [--wait]; `qc nodes` lists the nodes' names"
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    command(
        commands, "nodes", list_nodes, parents=[common], help="the cluster's nodes (platform admins)",
        description="The cluster's nodes: status (SchedulingDisabled when cordoned), CPU and memory requested "
        "against allocatable, pods, kubelet version, and any operation running on it. Platform admins only.",
    )  # fmt: skip
    parser = command(
        commands, "node", node, parents=[common], help="one node's detail, or cordon|uncordon|drain it (admins)",
        description="qc node NAME: a node's capacity, conditions, taints and pods. qc node cordon NAME: no new pod "
        "goes there; qc node uncordon NAME: it takes pods again; qc node drain NAME: cordon it and evict its pods "
        "(DaemonSet pods stay) one controller at a time, each started elsewhere before the next (--wait shows "
        "the progress). Platform admins only.",
    )  # fmt: skip
    parser.usage = "qc node NAME [--json] | qc node {cordon,uncordon,drain} NAME [--wait] [--timeout SECONDS]"
    parser.add_argument("words", nargs="+", metavar="ARG", help="NAME, or cordon|uncordon|drain and NAME")
    shared.add_wait(parser)
