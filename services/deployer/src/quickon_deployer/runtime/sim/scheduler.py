"""The scheduler's loop: every pod without a node, oldest first, is placed or told why not."""

from __future__ import annotations

from .events import WARNING
from .kubelet import bind
from .pods import Pod
from .scheduling import MISSING_CLAIM, place
from .world import World


def schedule_pending(world: World) -> bool:
    """Bind every pending pod that fits now; returns whether any pod was bound or newly refused.

    Like the scheduler's unschedulable queue, a pod refused before is tried again only once
    capacity may have changed, so that a backlog of pending pods costs nothing per new pod.
    """
    retry = world.state.capacity_changed
    world.state.capacity_changed = False
    pending = [pod for pod in world.index.pending.values() if retry or _may_fit_now(world, pod)]
    pending.sort(key=lambda pod: pod.serial)
    changed = False
    for pod in pending:
        claims = (world.state.claims.get(f"{pod.namespace}/{v.claim}") for v in pod.spec.volumes if v.claim)
        claim_nodes = {claim.name: claim.node for claim in claims if claim is not None}
        placement = place(
            pod, nodes=world.nodes, usage=world.index.usage, claim_nodes=claim_nodes, cordoned=world.state.cordoned
        )
        if placement.node is not None:
            bind(world, pod, placement.node)
            changed = True
        elif placement.message != pod.unschedulable:
            # Like the scheduler, report a pod once per distinct reason rather than on every attempt.
            pod.unschedulable = placement.message
            world.pod_event(pod, "FailedScheduling", placement.message, kind=WARNING)
            pod.refresh_conditions(world.now)
            changed = True
    return changed


def _may_fit_now(world: World, pod: Pod) -> bool:
    """A pod not tried yet, or one that waited for a claim that exists now."""
    if pod.unschedulable is None:
        return True
    return MISSING_CLAIM in pod.unschedulable and all(
        f"{pod.namespace}/{volume.claim}" in world.state.claims for volume in pod.spec.volumes if volume.claim
    )
