"""Simulated pods: per-container lifecycle state, and the status Kubernetes would derive from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .failures import Failure, back_off
from .podspec import PodSpec

CONDITIONS = ("PodScheduled", "Initialized", "ContainersReady", "Ready")
FAILING_REASONS = {"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff"}


class Step(StrEnum):
    """Where a container is in its life; each step but the last few has a time it ends at."""

    WAITING = "waiting"  # its pod is not scheduled yet, or init containers are still running
    PULLING = "pulling"  # pulling the image and creating the container
    PULL_FAILED = "pull-failed"  # ErrImagePull, until the kubelet's next look at it
    PULL_BACKOFF = "pull-backoff"  # ImagePullBackOff, until the next pull
    RUNNING = "running"  # started; not ready yet
    READY = "ready"
    UNREADY = "unready"  # running, but its readiness probe fails
    CRASH_BACKOFF = "crash-backoff"  # exited; CrashLoopBackOff until it is restarted
    COMPLETED = "completed"  # exited 0 (init containers, Jobs)
    TERMINATING = "terminating"  # its pod is being deleted: SIGTERM sent, the application shutting down


@dataclass
class Termination:
    reason: str
    exit_code: int
    finished_at: float


@dataclass
class ContainerState:
    name: str
    image: str
    init: bool = False
    step: Step = Step.WAITING
    next_at: float | None = None  # when this container's current step ends
    retry_at: float | None = None  # when a failed image pull is tried again
    started_at: float | None = None
    restart_count: int = 0
    pull_failures: int = 0
    last_termination: Termination | None = None

    @property
    def ready(self) -> bool:
        return self.step is Step.READY

    @property
    def state(self) -> str:
        """``waiting``, ``running`` or ``terminated``, as in a container status."""
        if self.step in {Step.RUNNING, Step.READY, Step.UNREADY, Step.TERMINATING}:
            return "running"
        return "terminated" if self.step is Step.COMPLETED else "waiting"

    def reason(self, *, scheduled: bool) -> str | None:
        """The reason of its waiting or terminated state (None when running or not yet on a node)."""
        if self.step is Step.WAITING:
            return "PodInitializing" if scheduled else None
        return {
            Step.PULLING: "ImagePullBackOff" if self.pull_failures else "ContainerCreating",
            Step.PULL_FAILED: "ErrImagePull",
            Step.PULL_BACKOFF: "ImagePullBackOff",
            Step.CRASH_BACKOFF: "CrashLoopBackOff",
            Step.COMPLETED: "Completed",
        }.get(self.step)


@dataclass
class Condition:
    status: bool
    reason: str = ""
    message: str = ""
    since: float = 0.0


@dataclass
class Pod:
    """A pod some controller created; ``owner`` is the ref of that controller's object."""

    name: str
    namespace: str
    release: str
    owner: str
    owner_kind: str
    revision: str  # the pod-template-hash (or StatefulSet revision) it was made from
    serial: int  # creation order across the cluster: the scheduler's queue order
    created_at: float
    spec: PodSpec
    containers: list[ContainerState]
    ordinal: int | None = None
    target_node: str | None = None  # a DaemonSet's pod belongs to one node
    node: str | None = None
    scheduled_at: float | None = None
    unschedulable: str | None = None  # the scheduler's last FailedScheduling message
    injected_failure: Failure | None = None
    was_ready: bool = False
    deleted_at: float | None = None  # its deletionTimestamp: Terminating until its containers have stopped
    conditions: dict[str, Condition] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def failure(self) -> Failure | None:
        return self.injected_failure or self.spec.failure

    @property
    def app(self) -> ContainerState:
        """The container injected failures hit: the first regular one."""
        return next(c for c in self.containers if not c.init)

    @property
    def regular(self) -> list[ContainerState]:
        return [c for c in self.containers if not c.init]

    @property
    def ready(self) -> bool:
        condition = self.conditions.get("Ready")
        return condition is not None and condition.status

    @property
    def initialized(self) -> bool:
        return all(c.step is Step.COMPLETED for c in self.containers if c.init)

    @property
    def succeeded(self) -> bool:
        return all(c.step is Step.COMPLETED for c in self.regular)

    @property
    def next_at(self) -> float | None:
        due = [c.next_at for c in self.containers if c.next_at is not None]
        return min(due) if due else None

    @property
    def restarts(self) -> int:
        return sum(c.restart_count for c in self.containers)

    @property
    def phase(self) -> str:
        if self.succeeded:
            return "Succeeded"
        if self.node is not None and self.initialized and any(c.started_at is not None for c in self.regular):
            return "Running"
        return "Pending"

    @property
    def reason(self) -> str:
        """The one-word status ``kubectl get pods`` prints."""
        if self.deleted_at is not None:
            return "Terminating"
        if self.node is None:
            return "Unschedulable" if self.unschedulable else "Pending"
        inits = [c for c in self.containers if c.init]
        if not self.initialized:
            failing = [c.reason(scheduled=True) for c in inits if c.reason(scheduled=True) in FAILING_REASONS]
            done = sum(c.step is Step.COMPLETED for c in inits)
            return f"Init:{failing[0]}" if failing else f"Init:{done}/{len(inits)}"
        reasons = [c.reason(scheduled=True) for c in self.regular]
        for reason in reasons:
            if reason in FAILING_REASONS:
                return str(reason)
        if self.succeeded:
            return "Completed"
        return "ContainerCreating" if any(c.started_at is None for c in self.regular) else "Running"

    @property
    def message(self) -> str:
        """What a user needs to know about a pod that is stuck or failing; empty otherwise."""
        if self.node is None:
            return self.unschedulable or ""
        for container in self.containers:
            if container.step is Step.CRASH_BACKOFF:
                wait = back_off(container.restart_count + 1)
                return f"back-off {wait:.0f}s restarting failed container={container.name} pod={self.name}"
            if container.step in {Step.PULL_FAILED, Step.PULL_BACKOFF} or container.pull_failures:
                return f'Back-off pulling image "{container.image}"'
            if container.step is Step.UNREADY:
                return f"Readiness probe failed for container {container.name}"
        return ""

    @property
    def failing(self) -> bool:
        """Crash-looping, unable to pull, failing its readiness probe, or no longer ready once it was."""
        if self.succeeded or self.deleted_at is not None:
            return False
        steps = {Step.PULL_FAILED, Step.PULL_BACKOFF, Step.CRASH_BACKOFF, Step.UNREADY}
        troubled = any(c.step in steps or c.pull_failures or c.restart_count for c in self.containers)
        return (troubled and not self.ready) or (self.was_ready and not self.ready)

    @property
    def holds_resources(self) -> bool:
        """A finished pod no longer counts against its node's capacity."""
        return self.node is not None and not self.succeeded

    def refresh_conditions(self, now: float) -> bool:
        """Recompute the four pod conditions, stamping the time of each change; returns whether any changed."""
        containers_ready = bool(self.regular) and all(c.ready for c in self.regular)
        values = {
            "PodScheduled": (
                self.node is not None,
                "Unschedulable" if self.unschedulable else "",
                self.unschedulable or "",
            ),
            "Initialized": (self.initialized, "" if self.initialized else "ContainersNotInitialized", ""),
            "ContainersReady": (containers_ready, "" if containers_ready else "ContainersNotReady", ""),
        }
        ready_reason = "PodCompleted" if self.succeeded else ("" if containers_ready else "ContainersNotReady")
        values["Ready"] = (containers_ready, ready_reason, "")
        changed = False
        for name in CONDITIONS:
            status, reason, message = values[name]
            current = self.conditions.get(name)
            if current is None or (current.status, current.reason, current.message) != (status, reason, message):
                since = now if current is None or current.status != status else current.since
                self.conditions[name] = Condition(status, reason, message, since)
                changed = True
        if containers_ready:
            self.was_ready = True
        return changed
