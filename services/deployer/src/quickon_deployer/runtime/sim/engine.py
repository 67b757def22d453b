"""Time: controllers and the scheduler settle within an instant; the kubelet's due steps are then
played one at a time in time order (ties: oldest pod first, then container order)."""

from __future__ import annotations

from .controllers import reconcile
from .kubelet import advance
from .scheduler import schedule_pending
from .world import World

MAX_PASSES = 100_000  # a guard against a controller bug, far above what any release needs


class SettleError(RuntimeError):
    """Controllers kept changing things within one instant: a bug in the model, not in the chart."""


def settle(world: World) -> bool:
    """Run controllers until none has more to do, then the scheduler; repeat while either acts."""
    state = world.state
    changed = False
    for _ in range(MAX_PASSES):
        if state.dirty:
            refs, state.dirty = state.dirty, []
            for ref in refs:
                obj = state.objects.get(ref)
                if obj is not None:
                    world.touch(obj.release)  # a controller may change what it owns without an event
                if obj is not None and reconcile(world, obj):
                    changed = True
                    world.mark(ref)  # it acted: look again, it may have more to do now
        elif state.unsettled:
            state.unsettled = False
            changed = schedule_pending(world) or changed
        else:
            return changed
    raise SettleError(f"the simulated controllers did not settle at t={world.now}")


def advance_to(world: World, now: float) -> bool:
    """Play everything due up to ``now``; the clock never goes back. Returns whether anything changed."""
    now = float(now)  # an int from the caller would otherwise leak into times and snapshots
    changed = settle(world)
    while (due := world.index.next_due()) is not None and due[0] <= now:
        at, pod, container = due
        world.state.clock = max(world.state.clock, at)
        held = pod.holds_resources
        advance(world, pod, container)
        world.mark(pod.owner)
        if held and not pod.holds_resources and pod.node is not None:
            world.index.usage[pod.node].remove(pod.spec.requests)  # a finished pod frees its requests
            world.state.unsettled = world.state.capacity_changed = True
        settle(world)
        changed = True
    world.state.clock = max(world.state.clock, now)
    return changed


def next_change_at(world: World) -> float | None:
    """When :func:`advance_to` next has something to do (now, if controllers are due)."""
    if world.state.dirty or world.state.unsettled:
        return world.now
    due = world.index.next_due()
    return None if due is None else max(due[0], world.now)
