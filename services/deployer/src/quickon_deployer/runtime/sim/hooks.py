"""Helm's hooks: run by ``helm install``/``upgrade``/``rollback``/``uninstall`` around the release's own
objects, one at a time in order of weight, each waited for, then deleted as its delete policies say.

A hook is not part of the release: an upgrade that no longer renders it does not delete it, nor does
an uninstall (only its own policies do). The model runs a hook in the instant it is created, as helm
waits for it: a Job (or Pod) succeeds unless its pod carries the sim's failure annotation, then it fails
as one whose pods never succeed (helm: "BackoffLimitExceeded"); any other kind succeeds once created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .failures import FAIL_ANNOTATION
from .manifests import BEFORE_HOOK_CREATION, Manifest, ManifestError
from .names import template_hash
from .objects import StoredObject
from .store import delete_object, put_object
from .workload import pod_template
from .world import World

HOOK_SUCCEEDED = "hook-succeeded"
HOOK_FAILED = "hook-failed"


class HookFailed(ManifestError):
    """A hook failed; what helm had applied until then stays (the release is left failed)."""

    revision = 0  # the release's revision that failed (0: an uninstall's hook)


def run_hooks(world: World, manifests: Iterable[Manifest], *, phase: str, namespace: str, release: str) -> list[str]:
    """Run the ``phase`` hooks (``pre-install``...) by weight, ties in helm's printed order (by kind, then
    name); returns them as ``Kind/name``; :class:`HookFailed` at the first that fails, after its policies."""
    hooks = sorted((m for m in manifests if phase in m.hook_phases), key=lambda m: m.hook_weight)  # stable
    for hook in hooks:
        _run(world, hook, phase=phase, namespace=namespace, release=release)
    return [hook.key.display for hook in hooks]


def _run(world: World, hook: Manifest, *, phase: str, namespace: str, release: str) -> None:
    policies = hook.hook_delete_policies
    existing = world.state.objects.get(hook.key.ref)
    if existing is not None:
        if BEFORE_HOOK_CREATION not in policies:
            raise HookFailed([f"{phase} hook {hook.key.display} failed: it already exists"])
        delete_object(world, existing, drop_claims=False)
    obj, _, _ = put_object(world, hook, namespace=namespace, release=release)
    failure = _failure(obj)
    if failure is None:
        if obj.kind == "Job":  # it ran to completion while helm waited: its controller has nothing left to do
            world.workload(obj.key.ref).completed_revision = template_hash(pod_template(obj))
        if HOOK_SUCCEEDED in policies:
            delete_object(world, obj, drop_claims=False)
        return
    if HOOK_FAILED in policies:
        delete_object(world, obj, drop_claims=False)
    raise HookFailed([f"{phase} hook {hook.key.display} failed: {failure}"])


def _failure(obj: StoredObject) -> str | None:
    """Why the hook fails, or None: a Job's or Pod's pod marked to fail by the sim's annotation."""
    pod: Mapping[str, Any] = {"Job": pod_template(obj), "Pod": obj.live}.get(obj.kind) or {}
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    if FAIL_ANNOTATION not in annotations:
        return None
    reason = "BackoffLimitExceeded" if obj.kind == "Job" else "pod failed"
    return f"{reason} ({FAIL_ANNOTATION}: {annotations[FAIL_ANNOTATION]})"
