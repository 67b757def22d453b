"""The simulated cluster's metrics, as a real cluster's exporters give them: the same names and labels, so
that one query (and one alert rule) works on ``sim`` and on ``kubernetes``.

- kube-state-metrics (v2): pods (info, owner, labels, phase, ready, scheduled), their containers (state,
  waiting reason, restarts, resource requests and limits), Deployments, StatefulSets, DaemonSets and nodes
  (capacity, allocatable, conditions). Pod labels come as ``kube_pod_labels``'s ``label_*``, as with
  ``--metric-labels-allowlist=pods=[*]``.
- cAdvisor (through the kubelet, with the ``node`` label kube-prometheus-stack adds):
  ``container_cpu_usage_seconds_total`` and ``container_memory_working_set_bytes`` of every running
  container, from its requests and a deterministic load model (below).
- node-exporter: ``node_filesystem_size_bytes`` / ``_avail_bytes`` / ``_free_bytes`` of each node's root
  file system, which its volumes fill (what they really hold on this machine, plus what a test injected).
  Each carries ``instance`` = the node's name, which the scrape keeps (``honor_labels``): one exporter
  speaks for every simulated node.

Every series about a pod has its ``namespace``: teams own namespaces, so a query scoped to a team's is
scoped to what that team may see. The text is written directly (not through prometheus-client's objects):
a thousand services are some 50,000 samples, and this keeps a scrape of them to tens of milliseconds.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping

from .pods import ContainerState, Pod, Step
from .quantities import memory_bytes
from .status import workload_status
from .world import World

DISK_PRESSURE_BELOW = 0.10  # the kubelet's default eviction threshold: nodefs.available < 10%
LOAD_PERIOD_S = 600.0
IDLE_CPU_CORES = 0.01  # what a container without a CPU request is taken to use on average
IDLE_MEMORY_BYTES = 64 * 2**20
MOUNTPOINT = "/"
FSTYPE = "ext4"

_FAMILIES: dict[str, tuple[str, str]] = {
    # kube-state-metrics
    "kube_node_info": ("gauge", "Information about a cluster node."),
    "kube_node_spec_unschedulable": ("gauge", "Whether a node can schedule new pods."),
    "kube_node_status_capacity": ("gauge", "The total amount of resources available for a node."),
    "kube_node_status_allocatable": ("gauge", "The amount of resources allocatable for pods."),
    "kube_node_status_condition": ("gauge", "The condition of a cluster node."),
    "kube_pod_info": ("gauge", "Information about pod."),
    "kube_pod_owner": ("gauge", "Information about the Pod's owner."),
    "kube_pod_labels": ("gauge", "Kubernetes labels converted to Prometheus labels."),
    "kube_pod_created": ("gauge", "Unix creation timestamp."),
    "kube_pod_start_time": ("gauge", "Start time in unix timestamp for a pod."),
    "kube_pod_status_phase": ("gauge", "The pods current phase."),
    "kube_pod_status_ready": ("gauge", "Describes whether the pod is ready to serve requests."),
    "kube_pod_status_scheduled": ("gauge", "Describes the status of the scheduling process for the pod."),
    "kube_pod_container_info": ("gauge", "Information about a container in a pod."),
    "kube_pod_container_status_ready": ("gauge", "Describes whether the containers readiness check succeeded."),
    "kube_pod_container_status_running": ("gauge", "Describes whether the container is currently running."),
    "kube_pod_container_status_waiting": ("gauge", "Describes whether the container is currently waiting."),
    "kube_pod_container_status_waiting_reason": ("gauge", "Describes the reason the container is waiting."),
    "kube_pod_container_status_terminated": ("gauge", "Describes whether the container is terminated."),
    "kube_pod_container_status_restarts_total": ("counter", "The number of container restarts per container."),
    "kube_pod_container_resource_requests": ("gauge", "The number of requested request resource by a container."),
    "kube_pod_container_resource_limits": ("gauge", "The number of requested limit resource by a container."),
    "kube_deployment_spec_replicas": ("gauge", "Number of desired pods for a deployment."),
    "kube_deployment_status_replicas": ("gauge", "The number of replicas per deployment."),
    "kube_deployment_status_replicas_available": ("gauge", "The number of available replicas per deployment."),
    "kube_deployment_status_replicas_ready": ("gauge", "The number of ready replicas per deployment."),
    "kube_deployment_status_replicas_updated": ("gauge", "The number of updated replicas per deployment."),
    "kube_deployment_status_replicas_unavailable": ("gauge", "The number of unavailable replicas per deployment."),
    "kube_statefulset_replicas": ("gauge", "Number of desired pods for a StatefulSet."),
    "kube_statefulset_status_replicas": ("gauge", "The number of replicas per StatefulSet."),
    "kube_statefulset_status_replicas_available": ("gauge", "The number of available replicas per StatefulSet."),
    "kube_statefulset_status_replicas_ready": ("gauge", "The number of ready replicas per StatefulSet."),
    "kube_statefulset_status_replicas_updated": ("gauge", "The number of updated replicas per StatefulSet."),
    "kube_daemonset_status_desired_number_scheduled": ("gauge", "The number of nodes that should run the pod."),
    "kube_daemonset_status_current_number_scheduled": ("gauge", "The number of nodes running at least one pod."),
    "kube_daemonset_status_number_ready": ("gauge", "The number of nodes whose pod is ready."),
    "kube_daemonset_status_number_available": ("gauge", "The number of nodes whose pod is available."),
    # cAdvisor
    "container_cpu_usage_seconds_total": ("counter", "Cumulative cpu time consumed in seconds."),
    "container_memory_working_set_bytes": ("gauge", "Current working set in bytes."),
    # node-exporter
    "node_filesystem_size_bytes": ("gauge", "Filesystem size in bytes."),
    "node_filesystem_avail_bytes": ("gauge", "Filesystem space available to non-root users in bytes."),
    "node_filesystem_free_bytes": ("gauge", "Filesystem free space in bytes."),
}
_WORKLOAD_FAMILIES = {
    "Deployment": (
        ("kube_deployment_spec_replicas", "desired"),
        ("kube_deployment_status_replicas", "pods"),
        ("kube_deployment_status_replicas_available", "available"),
        ("kube_deployment_status_replicas_ready", "ready"),
        ("kube_deployment_status_replicas_updated", "updated"),
        ("kube_deployment_status_replicas_unavailable", "unavailable"),
    ),
    "StatefulSet": (
        ("kube_statefulset_replicas", "desired"),
        ("kube_statefulset_status_replicas", "pods"),
        ("kube_statefulset_status_replicas_available", "available"),
        ("kube_statefulset_status_replicas_ready", "ready"),
        ("kube_statefulset_status_replicas_updated", "updated"),
    ),
    "DaemonSet": (
        ("kube_daemonset_status_desired_number_scheduled", "desired"),
        ("kube_daemonset_status_current_number_scheduled", "pods"),
        ("kube_daemonset_status_number_ready", "ready"),
        ("kube_daemonset_status_number_available", "available"),
    ),
}
_PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
_RUNNING_STEPS = {Step.RUNNING, Step.READY, Step.UNREADY, Step.TERMINATING}
_LABEL_NAME = re.compile(r"[^a-zA-Z0-9_]")


def exposition(world: World, *, disk_used: Mapping[str, int], now: float) -> str:
    """Every series of the cluster at ``now`` in Prometheus' text format (0.0.4). ``disk_used`` is what each
    node's volumes hold on this machine, in bytes (measured by the caller: it reads directories)."""
    out = _Series()
    _nodes(out, world, disk_used)
    for pod in world.state.pods.values():
        _pod(out, pod, now)
    for obj in world.state.objects.values():
        families = _WORKLOAD_FAMILIES.get(obj.kind)
        if families is None:
            continue
        status = workload_status(world, obj)
        counts = {
            "desired": status.desired, "ready": status.ready, "updated": status.updated,
            "available": status.available, "unavailable": max(status.desired - status.available, 0),
            "pods": sum(pod.deleted_at is None for pod in world.pods_of(obj.key.ref)),
        }  # fmt: skip
        labels = f'namespace="{_escape(obj.namespace)}",{obj.kind.lower()}="{_escape(obj.name)}"'
        for family, count in families:
            out.add(family, labels, counts[count])
    return out.text()


def _nodes(out: _Series, world: World, disk_used: Mapping[str, int]) -> None:
    for node, spec in zip(world.nodes, world.config.nodes, strict=True):
        name = _escape(node.name)
        disk = memory_bytes(spec.disk)
        used = disk_used.get(node.name, 0) + world.state.disk_fill.get(node.name, 0)
        avail = max(disk - used, 0)
        out.add("kube_node_info", f'node="{name}",kubelet_version="sim",os_image="QuickOn sim"', 1)
        out.add("kube_node_spec_unschedulable", f'node="{name}"', int(node.name in world.state.cordoned))
        for family in ("kube_node_status_capacity", "kube_node_status_allocatable"):
            out.add(family, f'node="{name}",resource="cpu",unit="core"', node.cpu_m / 1000)
            out.add(family, f'node="{name}",resource="memory",unit="byte"', node.memory)
            out.add(family, f'node="{name}",resource="pods",unit="integer"', node.max_pods)
            out.add(family, f'node="{name}",resource="ephemeral_storage",unit="byte"', disk)
        conditions = {"Ready": True, "MemoryPressure": False, "PIDPressure": False,
                      "DiskPressure": avail < disk * DISK_PRESSURE_BELOW}  # fmt: skip
        for condition, status in conditions.items():
            for value in ("true", "false", "unknown"):
                shown = int(value == ("true" if status else "false"))
                out.add("kube_node_status_condition", f'node="{name}",condition="{condition}",status="{value}"', shown)
        filesystem = f'node="{name}",instance="{name}",device="/dev/{name}",fstype="{FSTYPE}",mountpoint="{MOUNTPOINT}"'
        out.add("node_filesystem_size_bytes", filesystem, disk)
        out.add("node_filesystem_avail_bytes", filesystem, avail)
        out.add("node_filesystem_free_bytes", filesystem, avail)


def _pod(out: _Series, pod: Pod, now: float) -> None:
    base = f'namespace="{_escape(pod.namespace)}",pod="{_escape(pod.name)}"'
    node = _escape(pod.node or "")
    owner_name = pod.owner.rsplit("/", 1)[-1]
    owner_kind = pod.owner_kind
    if owner_kind == "Deployment":  # a Deployment's pods belong to its ReplicaSet of their template
        owner_kind, owner_name = "ReplicaSet", f"{owner_name}-{pod.revision}"
    owner_name = _escape(owner_name)
    out.add(
        "kube_pod_info",
        f'{base},node="{node}",created_by_kind="{owner_kind}",created_by_name="{owner_name}",host_network="false"',
        1,
    )
    out.add(
        "kube_pod_owner", f'{base},owner_kind="{owner_kind}",owner_name="{owner_name}",owner_is_controller="true"', 1
    )
    # Two Kubernetes labels may become one Prometheus name (a.b, a_b): the first is kept, as a label twice
    # in one series would make Prometheus refuse the whole scrape.
    converted: dict[str, str] = {}
    for key, text in {"app.kubernetes.io/instance": pod.release, **pod.spec.labels}.items():
        converted.setdefault(f"label_{_LABEL_NAME.sub('_', key)}", text)
    out.add("kube_pod_labels", base + "".join(f',{k}="{_escape(v)}"' for k, v in converted.items()), 1)
    out.add("kube_pod_created", base, pod.created_at)
    if pod.scheduled_at is not None:
        out.add("kube_pod_start_time", base, pod.scheduled_at)
    phase = pod.phase
    for candidate in _PHASES:
        out.add("kube_pod_status_phase", f'{base},phase="{candidate}"', int(candidate == phase))
    for family, status in (("kube_pod_status_ready", pod.ready), ("kube_pod_status_scheduled", pod.node is not None)):
        out.add(family, f'{base},condition="true"', int(status))
        out.add(family, f'{base},condition="false"', int(not status))
        out.add(family, f'{base},condition="unknown"', 0)
    scheduled = pod.node is not None
    for spec, container in zip(pod.spec.containers, pod.regular, strict=True):
        labels = f'{base},container="{_escape(container.name)}"'
        out.add("kube_pod_container_info", f'{labels},image="{_escape(container.image)}"', 1)
        out.add("kube_pod_container_status_ready", labels, int(container.ready))
        state = container.state
        out.add("kube_pod_container_status_running", labels, int(state == "running"))
        out.add("kube_pod_container_status_waiting", labels, int(state == "waiting"))
        out.add("kube_pod_container_status_terminated", labels, int(state == "terminated"))
        reason = container.reason(scheduled=scheduled) if state == "waiting" else None
        if reason:
            out.add("kube_pod_container_status_waiting_reason", f'{labels},reason="{reason}"', 1)
        out.add("kube_pod_container_status_restarts_total", labels, container.restart_count)
        placed = f'{labels},node="{node}"'
        for family, amounts in (
            ("kube_pod_container_resource_requests", spec.requests),
            ("kube_pod_container_resource_limits", spec.limits),
        ):
            if amounts.cpu_m:
                out.add(family, f'{placed},resource="cpu",unit="core"', amounts.cpu_m / 1000)
            if amounts.memory:
                out.add(family, f'{placed},resource="memory",unit="byte"', amounts.memory)
        if container.step in _RUNNING_STEPS and container.started_at is not None:
            cpu, memory = _load(pod, container, spec.requests.cpu_m, spec.requests.memory, now)
            cadvisor = f'{placed},image="{_escape(container.image)}"'
            out.add("container_cpu_usage_seconds_total", f'{cadvisor},cpu="total"', cpu)
            out.add("container_memory_working_set_bytes", cadvisor, memory)


def _load(pod: Pod, container: ContainerState, cpu_m: int, memory: int, now: float) -> tuple[float, int]:
    """The load model: a container uses ``0.5 ± 0.3`` of its CPU request and ``0.6 ± 0.2`` of its memory
    request, each on a ten-minute wave whose phase comes from the container's name (so containers differ,
    and the same one gives the same numbers at the same time). The CPU counter is the wave's integral since
    the container started: it only grows, and starts again from zero when the container restarts."""
    omega = 2 * math.pi / LOAD_PERIOD_S
    phase = zlib.crc32(f"{pod.key}/{container.name}".encode()) / 2**32 * 2 * math.pi
    started = container.started_at if container.started_at is not None else now
    elapsed = max(now - started, 0.0)
    cores = cpu_m / 1000 if cpu_m else IDLE_CPU_CORES
    integral = 0.5 * elapsed - 0.3 / omega * (math.cos(omega * now + phase) - math.cos(omega * started + phase))
    working_set = (memory or IDLE_MEMORY_BYTES) * (0.6 + 0.2 * math.sin(omega * now + phase))
    return cores * max(integral, 0.0), int(working_set)


def _escape(value: str) -> str:
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


class _Series:
    """Samples grouped by family (the text format wants each family's samples together)."""

    def __init__(self) -> None:
        self._samples: dict[str, list[str]] = {name: [] for name in _FAMILIES}

    def add(self, family: str, labels: str, value: float) -> None:
        self._samples[family].append(f"{family}{{{labels}}} {value}")

    def text(self) -> str:
        parts = []
        for family, samples in self._samples.items():
            if samples:
                kind, help_text = _FAMILIES[family]
                parts.append(f"# HELP {family} {help_text}\n# TYPE {family} {kind}\n")
                parts.append("\n".join(samples))
                parts.append("\n")
        return "".join(parts)
