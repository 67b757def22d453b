"""The mutable cluster that controllers, the scheduler and the kubelet act on, with the few
primitives they share: events, creating and deleting pods, claims and their directories."""

from __future__ import annotations

from pathlib import Path

from .events import NORMAL, Event, record
from .index import Index
from .names import name_suffix
from .objects import StoredObject
from .pods import ContainerState, Pod, Step
from .podspec import PodSpec
from .scheduling import Node
from .state import Claim, ClusterState, WorkloadState, release_key
from .volumes import Volumes


class World:
    """One cluster's state plus what is derived from its configuration (nodes, volume root)."""

    def __init__(self, state: ClusterState, volume_root: Path) -> None:
        self.state = state
        self.config = state.config
        self.nodes = [Node.from_spec(spec) for spec in state.config.nodes]
        self.volumes = Volumes(volume_root)
        self.index = Index(state, self.nodes)
        # Names of the releases whose items changed since the last save (see parts.py): every
        # primitive below that changes a release's items notes it, as do the engine and the calls.
        self.touched: set[str] = set()

    @property
    def now(self) -> float:
        return self.state.clock

    def touch(self, release: str) -> None:
        self.touched.add(release)

    def emit(
        self, *, namespace: str, release: str, kind: str, reason: str, involved: str, message: str, field_path: str = ""
    ) -> None:
        """Record an event for a release."""
        self.touched.add(release)
        events = self.state.events.setdefault(release_key(namespace, release), [])
        event = Event(kind, reason, involved, message, self.now, self.now, field_path=field_path)
        record(events, event, limit=self.config.events_per_release)

    def pod_event(
        self, pod: Pod, reason: str, message: str, *, kind: str = NORMAL, container: ContainerState | None = None
    ) -> None:
        """Record an event about a pod, or about one of its containers."""
        field_path = ""
        if container is not None:
            field_path = f"spec.{'initContainers' if container.init else 'containers'}{{{container.name}}}"
        self.emit(
            namespace=pod.namespace,
            release=pod.release,
            kind=kind,
            reason=reason,
            involved=f"Pod/{pod.name}",
            message=message,
            field_path=field_path,
        )

    def mark(self, ref: str) -> None:
        """Ask the controller of ``ref`` to look at its object again in this instant."""
        obj = self.state.objects.get(ref)
        if obj is not None:
            self.touched.add(obj.release)
        if ref not in self.state.dirty:
            self.state.dirty.append(ref)

    def workload(self, ref: str) -> WorkloadState:
        return self.state.workloads.setdefault(ref, WorkloadState())

    def pods_of(self, owner: str) -> list[Pod]:
        """The pods a controller made, oldest first."""
        return self.index.pods_of(owner)

    def release_objects(self, namespace: str, release: str) -> list[StoredObject]:
        """The objects of a release (cluster-scoped ones included), in a stable order."""
        return self.index.release_objects(namespace, release)

    def add_object(self, obj: StoredObject) -> None:
        self.touched.add(obj.release)
        self.state.objects[obj.key.ref] = obj
        self.index.add_object(obj)

    def remove_object(self, obj: StoredObject) -> None:
        self.touched.add(obj.release)
        del self.state.objects[obj.key.ref]
        self.index.remove_object(obj)
        self.state.workloads.pop(obj.key.ref, None)

    def wake(self, pod: Pod, container: ContainerState, at: float | None) -> None:
        """Plan the end of ``container``'s current step at ``at`` (None: it waits for something else)."""
        self.touched.add(pod.release)
        container.next_at = at
        self.index.wake(pod, next(i for i, c in enumerate(pod.containers) if c is container), at)

    def generated_name(self, namespace: str, prefix: str) -> str:
        """``prefix`` plus a five-character suffix no pod in use has, derived from the creation counter."""
        while True:
            name = f"{prefix}-{name_suffix(f'{namespace}/{prefix}#{self.state.serial}')}"
            if f"{namespace}/{name}" not in self.state.pods:
                return name
            self.state.serial += 1

    def create_pod(
        self,
        *,
        owner: StoredObject,
        name: str,
        revision: str,
        spec: PodSpec,
        ordinal: int | None = None,
        target_node: str | None = None,
    ) -> Pod:
        """A new pod waiting to be scheduled; a failure injected for the workload's next pods applies to it."""
        self.state.serial += 1
        containers = [ContainerState(c.name, c.image, init=True) for c in spec.init_containers]
        containers += [ContainerState(c.name, c.image) for c in spec.containers]
        pod = Pod(
            name=name,
            namespace=owner.namespace,
            release=owner.release,
            owner=owner.key.ref,
            owner_kind=owner.kind,
            revision=revision,
            serial=self.state.serial,
            created_at=self.now,
            spec=spec,
            containers=containers,
            ordinal=ordinal,
            target_node=target_node,
        )
        workload = self.workload(owner.key.ref)
        if workload.injected is not None:
            pod.injected_failure = workload.injected
        elif workload.injected_next is not None and workload.injected_next_count > 0:
            pod.injected_failure = workload.injected_next
            workload.injected_next_count -= 1
            if workload.injected_next_count == 0:
                workload.injected_next = None
        pod.refresh_conditions(self.now)
        self.touched.add(pod.release)
        self.state.pods[pod.key] = pod
        self.index.add_pod(pod)
        self.state.unsettled = True  # a pod to schedule
        return pod

    def terminate_pod(self, pod: Pod) -> None:
        """Delete a pod as the API server and the kubelet do: a pod on a node is Terminating (its running
        containers sent SIGTERM) until its application has exited, at the latest after the pod's grace period,
        and the kubelet removes it then (:func:`kubelet.advance`); a pod that runs nothing goes at once."""
        if pod.deleted_at is not None:
            return  # deleted already: a second delete does not shorten the grace period
        running = [c for c in pod.containers if c.state == "running"]
        if pod.node is None or not running:
            self.delete_pod(pod)
            return
        for container in running:
            self.pod_event(pod, "Killing", f"Stopping container {container.name}", container=container)
        pod.deleted_at = self.now
        for container in pod.containers:
            container.step = Step.TERMINATING
            self.wake(pod, container, None)
        self.wake(pod, pod.containers[0], self.now + self.config.delay(min(self.config.stop_s, pod.spec.grace_s)))
        pod.refresh_conditions(self.now)

    def terminating(self, namespace: str, release: str) -> list[Pod | Claim]:
        """The release's pods still shutting down and the claims they hold back (their owners may be gone
        already: found by their release)."""
        pods: list[Pod | Claim] = [
            pod
            for pod in self.state.pods.values()
            if pod.deleted_at is not None and (pod.namespace, pod.release) == (namespace, release)
        ]
        return pods + [
            claim
            for claim in self.state.claims.values()
            if claim.deleted_at is not None and (claim.namespace, claim.release) == (namespace, release)
        ]

    def delete_pod(self, pod: Pod) -> None:
        """Stop and remove a pod at once (no grace period: a controller's own scale-down or replacement, the end
        of a termination); its emptyDirs go with it."""
        for container in pod.containers:
            if container.step in {Step.RUNNING, Step.READY, Step.UNREADY}:
                self.pod_event(pod, "Killing", f"Stopping container {container.name}", container=container)
        self.touched.add(pod.release)
        self.volumes.remove_pod(pod)
        self.index.remove_pod(pod)
        del self.state.pods[pod.key]
        self.state.unsettled = self.state.capacity_changed = True
        for volume in pod.spec.volumes:
            claim = self.state.claims.get(f"{pod.namespace}/{volume.claim}") if volume.claim else None
            if claim is not None and claim.deleted_at is not None:
                self.delete_claim(claim)  # its last user may have gone

    def ensure_claim(self, *, namespace: str, name: str, release: str, size: str, owner: str | None = None) -> Claim:
        """The claim of that name, created with its directory if missing (a kept claim is reused)."""
        claim = self.state.claims.get(f"{namespace}/{name}")
        if claim is None:
            claim = Claim(namespace, name, release, size, self.now, owner)
            self.state.claims[claim.key] = claim
            self.state.unsettled = True  # a pod may have waited for it
        self.touched.update((claim.release, release))  # a kept claim may pass to another release
        claim.size, claim.release = size, release
        claim.deleted_at = None  # wanted again before its last user went: it stays
        self.volumes.create_claim(namespace, name)
        return claim

    def delete_claim(self, claim: Claim) -> None:
        """Delete a claim and its directory; one a pod still mounts (a pod shutting down) stays, Terminating,
        until no pod does (the kubernetes.io/pvc-protection finalizer): :meth:`delete_pod` finishes it."""
        self.touched.add(claim.release)
        if any(_mounts(pod, claim) for pod in self.state.pods.values()):
            claim.deleted_at = self.now if claim.deleted_at is None else claim.deleted_at
            return
        self.volumes.remove_claim(claim.namespace, claim.name)
        del self.state.claims[claim.key]


def _mounts(pod: Pod, claim: Claim) -> bool:
    return pod.namespace == claim.namespace and any(volume.claim == claim.name for volume in pod.spec.volumes)
