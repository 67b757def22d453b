"""PodDisruptionBudgets as the Eviction API applies them: an eviction that would leave fewer healthy pods than
a budget of the pod allows is refused (the API server's 429), and tried again later by the one evicting.

As the disruption controller counts: ``expected`` is the scale of the pods' controllers (their desired
replicas; the matching pods for others), ``healthy`` the matching pods Ready and not Terminating, and the
budget allows ``healthy - desired_healthy`` disruptions, ``desired_healthy`` being ``minAvailable`` (a
percentage of ``expected``, rounded up) or ``expected - maxUnavailable`` (a percentage rounded up). A pod
that is not Ready may go while the budget is met (``unhealthyPodEvictionPolicy: IfHealthyBudget``).
"""

from __future__ import annotations

import math
from typing import Any

from .objects import StoredObject
from .pods import Pod
from .selectors import matches
from .workload import desired_replicas
from .world import World

VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
SCALED = {"Deployment", "StatefulSet"}


class EvictionRefused(Exception):
    """The Eviction API's 429: a budget allows no disruption now (or the pod has several budgets)."""


def check_eviction(world: World, pod: Pod) -> None:
    """Raise :class:`EvictionRefused` when evicting ``pod`` now would break its PodDisruptionBudget."""
    budgets = [b for b in _budgets(world, pod.namespace) if _selects(b, pod)]
    if not budgets:
        return
    if len(budgets) > 1:  # the API server refuses these too (a 500, not retried by kubectl drain)
        raise EvictionRefused("This pod has more than one PodDisruptionBudget, which the eviction subresource "
                              "does not support.")  # fmt: skip
    budget = budgets[0]
    selected = [p for p in world.state.pods.values() if p.namespace == pod.namespace and _selects(budget, p)]
    owners = {p.owner for p in selected}
    objects = [world.state.objects.get(owner) for owner in owners]
    if all(obj is not None and obj.kind in SCALED for obj in objects):
        expected = sum(desired_replicas(obj) for obj in objects if obj is not None)
    else:
        expected = len([p for p in selected if p.deleted_at is None])
    healthy = sum(p.ready and p.deleted_at is None for p in selected)
    desired = _desired_healthy(budget, expected)
    if (pod.ready and healthy - desired < 1) or (not pod.ready and healthy < desired):
        raise EvictionRefused(f"{VIOLATION} The disruption budget {budget.name} needs {desired} healthy pods and "
                              f"has {healthy} currently")  # fmt: skip


def _budgets(world: World, namespace: str) -> list[StoredObject]:
    return [o for o in world.state.objects.values() if o.kind == "PodDisruptionBudget" and o.namespace == namespace]


def _selects(budget: StoredObject, pod: Pod) -> bool:
    selector = budget.spec.get("selector")
    if not isinstance(selector, dict):
        return False  # policy/v1: a null selector selects no pod (an empty one, every pod of the namespace)
    try:
        return matches(selector, pod.spec.labels)
    except (KeyError, TypeError):  # a selector the sim did not validate: it selects nothing
        return False


def _desired_healthy(budget: StoredObject, expected: int) -> int:
    spec = budget.spec
    if "minAvailable" in spec:
        return _scaled(spec["minAvailable"], expected)
    if "maxUnavailable" in spec:
        return max(expected - _scaled(spec["maxUnavailable"], expected), 0)
    return 0


def _scaled(value: Any, total: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value)
