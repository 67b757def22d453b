"""Stored objects: what Helm applied, and the changes made outside Helm that its upgrades keep.

Helm 3 upgrades with a three-way merge (old manifest, new manifest, live object): a field changed
on the live object only (``kubectl scale``, ``kubectl rollout restart``) survives an upgrade unless
the chart itself changed that field. The model keeps such changes as patches at JSON-pointer
paths and drops a patch exactly when the chart's value at its path changes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .kinds import ObjectKey
from .manifests import CRDS_DIR_ANNOTATION, HOOK_ANNOTATION

RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
RELEASE_NAMESPACE_ANNOTATION = "meta.helm.sh/release-namespace"
RESOURCE_POLICY_ANNOTATION = "helm.sh/resource-policy"
RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"

REPLICAS = "/spec/replicas"
RESTARTED_AT = "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"
STOPPED_NODE_SELECTOR = "/spec/template/spec/nodeSelector/quickon.io~1stopped"
REPLICAS_BEFORE_STOP = "/metadata/annotations/quickon.io~1replicas-before-stop"
_MISSING = object()


@dataclass
class StoredObject:
    """One object of a release; ``live`` is what controllers act on."""

    group: str
    kind: str
    namespace: str
    name: str
    api_version: str
    release: str
    release_namespace: str
    applied: dict[str, Any]
    patches: dict[str, Any] = field(default_factory=dict)
    live: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    generation: int = 0

    @classmethod
    def create(
        cls, *, key: ObjectKey, api_version: str, release: str, release_namespace: str, body: dict[str, Any], now: float
    ) -> StoredObject:
        stored = cls(key.group, key.kind, key.namespace, key.name, api_version, release, release_namespace, body)
        stored.created_at = now
        stored._refresh()
        return stored

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.group, self.kind, self.namespace, self.name)

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.live.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def kept_by_helm(self) -> bool:
        """Helm leaves the object behind when it deletes the release's objects: ``helm.sh/resource-policy:
        keep``, a hook (not part of the release; only its delete policies delete it), a CRD of ``crds/``."""
        annotations = self.applied.get("metadata", {}).get("annotations") or {}
        return (
            annotations.get(RESOURCE_POLICY_ANNOTATION) == "keep"
            or bool(annotations.get(HOOK_ANNOTATION))
            or annotations.get(CRDS_DIR_ANNOTATION) == "true"
        )

    def reapply(self, applied: dict[str, Any]) -> bool:
        """Take a new manifest from Helm, keeping the patches whose field the chart left alone;
        returns whether the live object changed."""
        kept = {path: value for path, value in self.patches.items() if get(self.applied, path) == get(applied, path)}
        self.applied, self.patches = applied, kept
        return self._refresh()

    def patch(self, path: str, value: Any) -> bool:
        """Change one live field outside Helm; :meth:`unpatch` gives it back to the chart."""
        self.patches[path] = value
        return self._refresh()

    def unpatch(self, path: str) -> bool:
        """Give a field back to the chart."""
        self.patches.pop(path, None)
        return self._refresh()

    def _refresh(self) -> bool:
        live = copy.deepcopy(self.applied)
        for path, value in self.patches.items():
            put(live, path, value)
        changed = live != self.live
        if changed:
            self.live = live
            self.generation += 1
        return changed


def owned(body: dict[str, Any], *, release: str, namespace: str) -> dict[str, Any]:
    """``body`` with the ownership annotations ``helm install`` adds to every object it creates."""
    annotations = body.setdefault("metadata", {}).setdefault("annotations", {}) or {}
    annotations[RELEASE_NAME_ANNOTATION] = release
    annotations[RELEASE_NAMESPACE_ANNOTATION] = namespace
    body["metadata"]["annotations"] = annotations
    return body


def _steps(path: str) -> list[str]:
    return [step.replace("~1", "/").replace("~0", "~") for step in path.lstrip("/").split("/")]


def get(document: dict[str, Any], path: str) -> Any:
    """The value at a JSON pointer, or a sentinel distinct from every value when absent."""
    node: Any = document
    for step in _steps(path):
        if not isinstance(node, dict) or step not in node:
            return _MISSING
        node = node[step]
    return node


def put(document: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a JSON pointer, creating maps on the way."""
    *parents, last = _steps(path)
    node = document
    for step in parents:
        child = node.get(step)
        if not isinstance(child, dict):
            child = node[step] = {}
        node = child
    node[last] = copy.deepcopy(value)
