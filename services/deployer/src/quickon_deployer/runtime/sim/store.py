"""One object of a release put or deleted, with what follows in the cluster: controllers told, claims made
or dropped, pods gone with their owner. Shared by releases (Helm's apply and uninstall) and hooks."""

from __future__ import annotations

from .controllers import POD_OWNING_KINDS
from .manifests import Manifest
from .objects import StoredObject, owned
from .world import World

PVC = "PersistentVolumeClaim"


def put_object(world: World, manifest: Manifest, *, namespace: str, release: str) -> tuple[StoredObject, bool, bool]:
    """Create or update the object; returns it, whether it is new and whether its live state changed."""
    body = owned(manifest.body, release=release, namespace=namespace)
    obj = world.state.objects.get(manifest.key.ref)
    created = obj is None
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
        changed = True
    else:
        obj.api_version = manifest.api_version
        changed = obj.reapply(body)
    if changed and obj.kind in POD_OWNING_KINDS:
        world.mark(obj.key.ref)
    if obj.kind == PVC:
        size = str(obj.spec["resources"]["requests"]["storage"])
        world.ensure_claim(namespace=obj.namespace, name=obj.name, release=release, size=size)
    return obj, created, changed


def delete_object(world: World, obj: StoredObject, *, drop_claims: bool) -> None:
    """Delete one object; its pods terminate (a background cascade: they outlive it). A PVC object takes its
    claim and directory along; a StatefulSet's claims stay (Kubernetes' default: Retain) unless ``drop_claims``."""
    for pod in world.pods_of(obj.key.ref):
        world.terminate_pod(pod)
    claims = [
        c for c in world.state.claims.values() if obj.kind == PVC and (c.namespace, c.name) == (obj.namespace, obj.name)
    ]
    if drop_claims:
        claims += [c for c in world.state.claims.values() if c.owner == obj.key.ref]
    for claim in claims:
        world.delete_claim(claim)
    world.remove_object(obj)
    world.state.unsettled = True
