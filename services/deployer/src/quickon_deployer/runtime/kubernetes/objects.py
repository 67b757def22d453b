"""Small readers of the Kubernetes client's objects, shared by the health, scaling and release modules."""

from __future__ import annotations

from kubernetes import client

Workload = client.V1Deployment | client.V1StatefulSet | client.V1DaemonSet | client.V1Job

STOPPED_NODE_SELECTOR = "quickon.io/stopped"  # a DaemonSet is stopped by a node selector no node has


def _selector(selector: client.V1LabelSelector | None) -> str:
    """A workload's ``spec.selector`` in the label selector syntax of list calls."""
    if selector is None:
        return ""
    terms = [f"{key}={value}" for key, value in (selector.match_labels or {}).items()]
    for requirement in selector.match_expressions or []:
        values = ",".join(requirement.values or [])
        terms.append(
            {
                "In": f"{requirement.key} in ({values})",
                "NotIn": f"{requirement.key} notin ({values})",
                "Exists": requirement.key,
                "DoesNotExist": f"!{requirement.key}",
            }.get(requirement.operator, requirement.key)
        )
    return ",".join(terms)


def _desired(item: client.V1Deployment | client.V1StatefulSet) -> int:
    replicas = item.spec.replicas if item.spec else None
    return 1 if replicas is None else replicas  # the API server's default


def _metadata(item: Workload | client.V1Pod | client.V1PersistentVolumeClaim) -> client.V1ObjectMeta:
    return item.metadata or client.V1ObjectMeta()


def _name(item: Workload | client.V1Pod) -> str:
    return str(_metadata(item).name)


def _annotations(item: Workload) -> dict[str, str]:
    return _metadata(item).annotations or {}


def _created(metadata: client.V1ObjectMeta | None) -> float:
    stamp = metadata.creation_timestamp if metadata is not None else None
    return stamp.timestamp() if stamp is not None else 0.0
