"""Releases as Helm handles them: install/upgrade applies the rendered objects and deletes those
the chart no longer renders; uninstall deletes them all, except what is asked to be kept."""

from __future__ import annotations

from dataclasses import dataclass

from .controllers import POD_OWNING_KINDS
from .manifests import Manifest, ManifestError
from .objects import StoredObject, owned
from .state import ReleaseRecord, release_key
from .world import World

PVC = "PersistentVolumeClaim"


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did, each object named Kind/name."""

    revision: int
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    deleted: tuple[str, ...]
    skipped: tuple[str, ...]  # test hooks: `helm install` does not run them


def release_objects(world: World, namespace: str, release: str) -> list[StoredObject]:
    """The objects of a release (cluster-scoped ones included), in a stable order."""
    return world.release_objects(namespace, release)


def apply_release(
    world: World, *, namespace: str, release: str, manifests: list[Manifest], skipped: list[str]
) -> ApplyResult:
    """Store ``manifests`` as ``release``'s objects; refuses, changing nothing, objects of another release."""
    conflicts = []
    for manifest in manifests:
        existing = world.state.objects.get(manifest.key.ref)
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
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for manifest in manifests:
        body = owned(manifest.body, release=release, namespace=namespace)
        obj = world.state.objects.get(manifest.key.ref)
        if obj is None:
            obj = StoredObject.create(
                key=manifest.key,
                api_version=manifest.api_version,
                release=release,
                release_namespace=namespace,
                body=body,
                now=world.now,
            )
            world.add_object(obj)
            created.append(obj.key.display)
            changed = True
        else:
            obj.api_version = manifest.api_version
            changed = obj.reapply(body)
            (updated if changed else unchanged).append(obj.key.display)
        if changed and obj.kind in POD_OWNING_KINDS:
            world.mark(obj.key.ref)
        if obj.kind == PVC:
            size = str(obj.spec["resources"]["requests"]["storage"])
            world.ensure_claim(namespace=obj.namespace, name=obj.name, release=release, size=size)
    wanted = {manifest.key.ref for manifest in manifests}
    deleted = []
    for ref, obj in previous.items():
        if ref not in wanted and not obj.keep_on_delete:
            delete_object(world, obj, drop_claims=False)
            deleted.append(obj.key.display)
    world.state.unsettled = True
    return ApplyResult(record.revision, *map(tuple, (created, updated, unchanged, deleted, skipped)))


def uninstall_release(world: World, *, namespace: str, release: str, keep_volumes: bool) -> list[str]:
    """Delete a release's objects, pods and (unless kept) claims with their directories; returns what was deleted."""
    deleted = []
    for obj in release_objects(world, namespace, release):
        if obj.keep_on_delete or (keep_volumes and obj.kind == PVC):
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
    return deleted


def delete_object(world: World, obj: StoredObject, *, drop_claims: bool) -> None:
    """Delete one object with its pods. A PVC object takes its claim and directory along; a
    StatefulSet's claims stay (Kubernetes' default Retain policy) unless ``drop_claims``."""
    for pod in world.pods_of(obj.key.ref):
        world.delete_pod(pod)
    claims = [
        c for c in world.state.claims.values() if obj.kind == PVC and (c.namespace, c.name) == (obj.namespace, obj.name)
    ]
    if drop_claims:
        claims += [c for c in world.state.claims.values() if c.owner == obj.key.ref]
    for claim in claims:
        world.delete_claim(claim)
    world.remove_object(obj)
    world.state.unsettled = True
