"""The kubelet's part: a bound pod's containers go through image pull, start, probes, crashes and
back-offs, each step ending at a time computed from the configuration's delays."""

from __future__ import annotations

from .events import WARNING
from .failures import Failure, back_off
from .pods import ContainerState, Pod, Step, Termination
from .world import World

SYNC_S = 1.0  # how soon the kubelet looks at a pod again after a failed pull (ErrImagePull -> ImagePullBackOff)
CRASH_RUN_S = 1.0  # how long a crash-looping application runs before it exits


def bind(world: World, pod: Pod, node: str) -> None:
    """The scheduler placed ``pod`` on ``node``: prepare its volumes and start its first containers."""
    pod.node, pod.scheduled_at, pod.unschedulable = node, world.now, None
    for volume in pod.spec.volumes:
        claim = world.state.claims.get(f"{pod.namespace}/{volume.claim}") if volume.claim else None
        if claim is not None and claim.node is None:
            claim.node = node
            world.touch(claim.release)
    world.index.bound(pod)
    world.volumes.prepare_pod(pod)
    world.pod_event(pod, "Scheduled", f"Successfully assigned {pod.namespace}/{pod.name} to {node}")
    _start_next(world, pod)
    pod.refresh_conditions(world.now)


def advance(world: World, pod: Pod, container: ContainerState) -> None:
    """End ``container``'s current step, which is due now."""
    now = world.now
    world.wake(pod, container, None)
    step = container.step
    if step is Step.TERMINATING:  # the application has exited: the kubelet removes the deleted pod
        world.delete_pod(pod)
        return
    if step is Step.PULLING:
        _pulled(world, pod, container)
    elif step is Step.PULL_FAILED:
        container.step = Step.PULL_BACKOFF
        world.wake(pod, container, container.retry_at)
        world.pod_event(
            pod, "BackOff", f'Back-off pulling image "{container.image}"', kind=WARNING, container=container
        )
    elif step is Step.PULL_BACKOFF:
        _pull(world, pod, container)
    elif step is Step.CRASH_BACKOFF:
        container.restart_count += 1
        world.pod_event(
            pod, "Pulled", f'Container image "{container.image}" already present on machine', container=container
        )
        _run(world, pod, container)
    elif step in {Step.RUNNING, Step.READY, Step.UNREADY}:
        _probe(world, pod, container)
    pod.refresh_conditions(now)


def change_failure(world: World, pod: Pod, failure: Failure | None) -> None:
    """An admin injected or cleared a failure: a running application reacts now."""
    pod.injected_failure = failure
    app = pod.app
    if app.step is Step.READY and pod.failure in {Failure.CRASH_LOOP, Failure.NEVER_READY}:
        world.wake(pod, app, world.now)
    elif app.step is Step.UNREADY and pod.failure is not Failure.NEVER_READY:
        wait = 0.0 if pod.failure is Failure.CRASH_LOOP else pod.spec.container(app.name).ready_recheck_s
        world.wake(pod, app, world.now + world.config.delay(wait))


def _start_next(world: World, pod: Pod) -> None:
    """Init containers one by one; once all completed, every regular container at once."""
    for container in pod.containers:
        if container.init and container.step is not Step.COMPLETED:
            if container.step is Step.WAITING:
                _pull(world, pod, container)
            return
    for container in pod.regular:
        if container.step is Step.WAITING:
            _pull(world, pod, container)


def _pull(world: World, pod: Pod, container: ContainerState) -> None:
    container.step = Step.PULLING
    world.wake(pod, container, world.now + world.config.delay(world.config.start_delay_s))
    world.pod_event(pod, "Pulling", f'Pulling image "{container.image}"', container=container)


def _pulled(world: World, pod: Pod, container: ContainerState) -> None:
    if container is pod.app and pod.failure is Failure.IMAGE_PULL_ERROR:
        container.pull_failures += 1
        container.step = Step.PULL_FAILED
        container.retry_at = world.now + world.config.backoff_delay(back_off(container.pull_failures))
        world.wake(pod, container, world.now + world.config.backoff_delay(SYNC_S))
        message = f'Failed to pull image "{container.image}": manifest unknown (ErrImagePull)'
        world.pod_event(pod, "Failed", message, kind=WARNING, container=container)
        return
    container.pull_failures, container.retry_at = 0, None
    seconds = world.config.delay(world.config.start_delay_s)
    world.pod_event(
        pod, "Pulled", f'Successfully pulled image "{container.image}" in {seconds:g}s', container=container
    )
    _run(world, pod, container)


def _run(world: World, pod: Pod, container: ContainerState) -> None:
    world.pod_event(pod, "Created", f"Created container {container.name}", container=container)
    world.pod_event(pod, "Started", f"Started container {container.name}", container=container)
    container.started_at = world.now
    if container.init:
        # An init container's own work is folded into its start delay: it completes as it starts.
        container.step = Step.COMPLETED
        container.last_termination = Termination("Completed", 0, world.now)
        _start_next(world, pod)
        return
    container.step = Step.RUNNING
    if container is pod.app and pod.failure is Failure.CRASH_LOOP:
        wait = CRASH_RUN_S
    elif pod.spec.run_s is not None:
        wait = pod.spec.run_s
    else:
        wait = pod.spec.container(container.name).ready_after_start_s
    world.wake(pod, container, world.now + world.config.delay(wait))


def _probe(world: World, pod: Pod, container: ContainerState) -> None:
    """A running container's planned moment came: it crashes, completes, fails its probe or is ready."""
    failure = pod.failure if container is pod.app else None
    if failure is Failure.CRASH_LOOP:
        container.step = Step.CRASH_BACKOFF
        container.last_termination = Termination("Error", 1, world.now)
        world.wake(pod, container, world.now + world.config.backoff_delay(back_off(container.restart_count + 1)))
        message = f"Back-off restarting failed container {container.name} in pod {pod.name}"
        world.pod_event(pod, "BackOff", message, kind=WARNING, container=container)
    elif pod.spec.run_s is not None:
        container.step = Step.COMPLETED
        container.last_termination = Termination("Completed", 0, world.now)
    elif failure is Failure.NEVER_READY:
        if container.step is not Step.UNREADY:
            message = "Readiness probe failed: HTTP probe failed with statuscode: 503"
            world.pod_event(pod, "Unhealthy", message, kind=WARNING, container=container)
        container.step = Step.UNREADY
    else:
        container.step = Step.READY
