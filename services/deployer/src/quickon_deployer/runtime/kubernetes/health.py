"""A release's health: its workloads, their pods and the events about them, read into Health."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from kubernetes import client

from ..base import FAILING_REASONS, ClusterEvent, Health, PodHealth, WorkloadHealth
from .objects import STOPPED_NODE_SELECTOR, Workload, _created, _desired, _metadata, _name, _selector
from .release import Marks, _ReleaseReading
from .sources import TypedSource, mark

RECENT_EVENTS = 50


class _HealthReading(_ReleaseReading):
    _marks: dict[tuple[str, str], Marks]

    async def health(self, *, namespace: str, release: str) -> Health:
        if not await self._exists(namespace, release):
            return Health(exists=False)
        marks: Marks = []  # where until_changed() watches from: what this reading saw
        workloads = [_workload(item) for item in await self._workloads(namespace, release, jobs=True, marks=marks)]
        selected = [w for w in workloads if w.selector]  # never list a whole namespace's pods
        pod_lists = await asyncio.gather(
            *(self._kube(self._core.list_namespaced_pod, namespace, label_selector=w.selector) for w in selected)
        )
        marks += [
            mark(TypedSource(self._core.list_namespaced_pod, namespace, label_selector=w.selector), found)
            for w, found in zip(selected, pod_lists, strict=True)
        ]
        self._marks[(namespace, release)] = marks
        owned: dict[str, tuple[str, client.V1Pod]] = {}  # by pod name: a pod two selectors match counts once
        for workload, found in zip(selected, pod_lists, strict=True):
            for pod in found.items:
                owned.setdefault(_name(pod), (workload.ref, pod))
        pods = sorted(owned.values(), key=lambda item: _created(item[1].metadata))
        pod_health = tuple(_pod(pod, ref) for ref, pod in pods)
        events = await self._kube(self._core.list_namespaced_event, namespace)
        subjects = {w.ref for w in workloads} | {f"Pod/{p.name}" for p in pod_health}
        subjects |= {f"{o.kind}/{o.name}" for _, pod in pods for o in (_metadata(pod).owner_references or [])}
        long_running = [w for w in workloads if w.health.kind != "Job"]
        return Health(
            exists=True,
            ready=all(w.complete for w in workloads),
            degraded=any(_failing(pod) for pod in pod_health),
            stopped=bool(long_running) and all(w.health.desired == 0 for w in long_running),
            pending_reason=next(filter(None, (_unschedulable(pod) for _, pod in pods)), None),
            workloads=tuple(w.health for w in workloads),
            pods=pod_health,
            events=_recent_events(events.items, subjects),
        )


@dataclass(frozen=True)
class _Workload:
    health: WorkloadHealth
    complete: bool  # every desired pod is current and ready (a Job: it has completed)
    selector: str  # its pods, as a label selector

    @property
    def ref(self) -> str:
        return f"{self.health.kind}/{self.health.name}"


def _workload(item: Workload) -> _Workload:
    """Desired, ready and updated pods of a workload, judged as ``kubectl rollout status`` judges them."""
    # Counts the controller made before it saw the latest spec (observedGeneration) are about an older one.
    generation = _metadata(item).generation or 0
    if isinstance(item, client.V1Job):
        job = item.status or client.V1JobStatus()
        desired = (item.spec.completions if item.spec else None) or 1
        ready = job.succeeded or 0
        updated = ready + (job.active or 0)
        complete = any(c.type == "Complete" and c.status == "True" for c in job.conditions or [])
    elif isinstance(item, client.V1DaemonSet):
        daemons = item.status
        template = item.spec.template.spec if item.spec else None
        stopped = STOPPED_NODE_SELECTOR in ((template.node_selector if template else None) or {})
        desired = 0 if stopped or daemons is None else daemons.desired_number_scheduled
        ready = daemons.number_ready if daemons else 0
        updated = (daemons.updated_number_scheduled or 0) if daemons else 0
        observed = daemons is not None and (daemons.observed_generation or 0) >= generation
        complete = observed and ready == updated == desired
    else:
        replicas = item.status
        desired = _desired(item)
        ready = (replicas.ready_replicas or 0) if replicas else 0
        updated = (replicas.updated_replicas or 0) if replicas else 0
        total = (replicas.replicas or 0) if replicas else 0  # old pods still running count here too
        observed = replicas is not None and (replicas.observed_generation or 0) >= generation
        complete = observed and ready == updated == total == desired
    kind = type(item).__name__.removeprefix("V1")
    selector = _selector(item.spec.selector if item.spec else None)
    return _Workload(WorkloadHealth(kind, _name(item), desired, ready, updated), complete, selector)


def _pod(pod: client.V1Pod, workload: str) -> PodHealth:
    metadata, status = _metadata(pod), pod.status or client.V1PodStatus()
    ready = any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])
    containers = [*(status.init_container_statuses or []), *(status.container_statuses or [])]
    return PodHealth(
        name=str(metadata.name),
        workload=workload,
        phase=status.phase or "Pending",
        ready=ready,
        restarts=sum(c.restart_count for c in containers),
        reason="" if ready else _pod_reason(status),
        node=pod.spec.node_name if pod.spec is not None else None,
    )


def _pod_reason(status: client.V1PodStatus) -> str:
    """The one word ``kubectl get pods`` prints for a pod that is not ready."""
    if status.reason:  # Evicted, NodeLost, ...
        return status.reason
    if any(c.type == "PodScheduled" and c.status == "False" for c in status.conditions or []):
        return "Unschedulable" if _scheduling_message(status) else "Pending"
    for init in status.init_container_statuses or []:
        state = init.state
        if state is not None and state.waiting is not None and state.waiting.reason:
            return f"Init:{state.waiting.reason}"
        if state is not None and state.terminated is not None and state.terminated.exit_code != 0:
            return f"Init:{state.terminated.reason or 'Error'}"
    for container in status.container_statuses or []:
        state = container.state
        if state is not None and state.waiting is not None and state.waiting.reason:
            return state.waiting.reason  # ContainerCreating, CrashLoopBackOff, ImagePullBackOff, ...
        if state is not None and state.terminated is not None and state.terminated.reason:
            return state.terminated.reason  # Error, OOMKilled, Completed
    return status.phase or "Pending"


def _failing(pod: PodHealth) -> bool:
    """Crash-looping, unable to pull its image, or restarted and not ready again (as the sim judges ``degraded``)."""
    if pod.ready or pod.phase == "Succeeded":
        return False
    return pod.reason.removeprefix("Init:") in FAILING_REASONS or pod.restarts > 0


def _unschedulable(pod: client.V1Pod) -> str | None:
    return _scheduling_message(pod.status) if pod.status is not None else None


def _scheduling_message(status: client.V1PodStatus) -> str | None:
    for condition in status.conditions or []:
        if condition.type == "PodScheduled" and condition.status == "False" and condition.reason == "Unschedulable":
            return condition.message or condition.reason
    return None


def _recent_events(events: list[client.CoreV1Event], subjects: set[str]) -> tuple[ClusterEvent, ...]:
    """The latest events about the release's workloads, their ReplicaSets and their pods, oldest first."""
    found = []
    for event in events:
        subject = f"{event.involved_object.kind}/{event.involved_object.name}"
        if subject not in subjects:
            continue
        stamp = event.last_timestamp or event.event_time or event.first_timestamp or event.metadata.creation_timestamp
        count = event.count or (event.series.count if event.series is not None else None) or 1
        found.append(
            ClusterEvent(
                type=event.type or "Normal",
                reason=event.reason or "",
                object=subject,
                message=event.message or "",
                count=count,
                time=stamp.timestamp() if stamp is not None else 0.0,
            )
        )
    return tuple(sorted(found, key=lambda e: e.time)[-RECENT_EVENTS:])
