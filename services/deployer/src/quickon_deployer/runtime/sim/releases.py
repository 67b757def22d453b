"""Releases as Helm handles them: install/upgrade applies the rendered objects and deletes those
the chart no longer renders; uninstall deletes them all, except what is asked to be kept."""

from __future__ import annotations

from dataclasses import dataclass

from .hooks import HookFailed, run_hooks
from .manifests import Manifest, ManifestError
from .objects import StoredObject
from .state import ReleaseRecord, release_key
from .store import PVC, delete_object, put_object
from .world import World

INSTALL, UPGRADE, ROLLBACK = "install", "upgrade", "rollback"


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did, each object named Kind/name."""

    revision: int
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    deleted: tuple[str, ...]
    skipped: tuple[str, ...]  # test hooks: `helm install` does not run them
    hooks: tuple[str, ...] = ()  # the hooks run, in order


def release_objects(world: World, namespace: str, release: str) -> list[StoredObject]:
    """The objects of a release (cluster-scoped ones included), in a stable order."""
    return world.release_objects(namespace, release)


def apply_release(
    world: World, *, namespace: str, release: str, manifests: list[Manifest], skipped: list[str], action: str
) -> ApplyResult:
    """Store ``manifests`` as ``release``'s objects in Helm's order: on install the CRDs of ``crds/`` that are
    missing, then the ``pre-<action>`` hooks, the release's objects (deleting those it no longer has), the
    ``post-<action>`` hooks. Refuses, changing nothing, objects of another release; :class:`HookFailed` (its
    ``revision`` set) when a hook fails, what was applied before it staying."""
    conflicts = []
    for manifest in manifests:
        existing = world.state.objects.get(manifest.key.ref)
        if manifest.from_crds_dir:
            continue  # helm skips a crds/ CRD that exists, whoever made it
        if existing is not None and (existing.release_namespace, existing.release) != (namespace, release):
            owner = f"{existing.release_namespace}/{existing.release}"
            conflicts.append(f"{manifest.key.display}: exists and belongs to release {owner!r}")
        claim = world.state.claims.get(f"{manifest.key.namespace}/{manifest.key.name}")
        if manifest.key.kind == PVC and claim is not None and claim.release != release:
            conflicts.append(f"{manifest.key.display}: exists and belongs to release {claim.release!r}")
    if conflicts:
        raise ManifestError(conflicts)
    key = release_key(namespace, release)
    record = world.state.releases.get(key)
    if record is None:
        record = world.state.releases[key] = ReleaseRecord(namespace, release, 0, world.now, world.now)
    record.revision, record.updated_at = record.revision + 1, world.now
    previous = {obj.key.ref: obj for obj in release_objects(world, namespace, release)}
    hooks = [m for m in manifests if m.hook_phases]
    objects = [m for m in manifests if not m.hook_phases and not m.from_crds_dir]
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    ran: list[str] = []
    try:
        for crd in (m for m in manifests if m.from_crds_dir and action == INSTALL):
            if crd.key.ref not in world.state.objects:
                put_object(world, crd, namespace=namespace, release=release)
                created.append(crd.key.display)
        ran += run_hooks(world, hooks, phase=f"pre-{action}", namespace=namespace, release=release)
        for manifest in objects:
            obj, new, changed = put_object(world, manifest, namespace=namespace, release=release)
            (created if new else updated if changed else unchanged).append(obj.key.display)
        wanted = {manifest.key.ref for manifest in objects}
        deleted = []
        for ref, obj in previous.items():
            if ref not in wanted and not obj.kept_by_helm and ref in world.state.objects:
                delete_object(world, obj, drop_claims=False)
                deleted.append(obj.key.display)
        ran += run_hooks(world, hooks, phase=f"post-{action}", namespace=namespace, release=release)
    except HookFailed as failed:
        failed.revision = record.revision
        raise
    finally:
        world.state.unsettled = True
    return ApplyResult(record.revision, *map(tuple, (created, updated, unchanged, deleted, skipped, ran)))


def uninstall_release(
    world: World, *, namespace: str, release: str, keep_volumes: bool, hooks: list[Manifest]
) -> list[str]:
    """Delete a release's objects, pods and (unless kept) claims with their directories, between its
    ``pre-delete`` and ``post-delete`` hooks; returns what was deleted. Hooks, ``crds/`` CRDs and objects
    with ``helm.sh/resource-policy: keep`` stay, as with helm."""
    run_hooks(world, hooks, phase="pre-delete", namespace=namespace, release=release)
    deleted = []
    for obj in release_objects(world, namespace, release):
        if obj.kept_by_helm or (keep_volumes and obj.kind == PVC):
            continue
        delete_object(world, obj, drop_claims=not keep_volumes)
        deleted.append(obj.key.display)
    if not keep_volumes:  # claims left by StatefulSets deleted earlier go too; kept PVC objects keep theirs
        kept = {(obj.namespace, obj.name) for obj in release_objects(world, namespace, release) if obj.kind == PVC}
        for claim in list(world.state.claims.values()):
            if (claim.namespace, claim.release) == (namespace, release) and (claim.namespace, claim.name) not in kept:
                world.delete_claim(claim)
    world.state.releases.pop(release_key(namespace, release), None)
    world.state.events.pop(release_key(namespace, release), None)
    world.state.unsettled = True
    run_hooks(world, hooks, phase="post-delete", namespace=namespace, release=release)
    return deleted
