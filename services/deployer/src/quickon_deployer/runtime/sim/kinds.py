"""Which kinds the API server serves, in which versions, and how their objects are named and keyed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from quickon_common.names import DNS_LABEL_BODY

from .names import (
    DNS_1035_RULE,
    DNS_LABEL_RULE,
    DNS_SUBDOMAIN_RULE,
    is_dns_1035_label,
    is_dns_label,
    is_dns_subdomain,
    is_path_segment,
)

API_VERSION = re.compile(
    rf"^(?:(?P<group>{DNS_LABEL_BODY}(\.{DNS_LABEL_BODY})*)/)?"  # the group is a DNS subdomain
    r"(?P<version>v[1-9][0-9]*(?:(?:alpha|beta)[1-9][0-9]*)?)$"
)
KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class NameRule:
    check: Callable[[str], bool]
    description: str


SUBDOMAIN = NameRule(is_dns_subdomain, f"a DNS-1123 subdomain ({DNS_SUBDOMAIN_RULE})")
LABEL = NameRule(is_dns_label, f"a DNS-1123 label ({DNS_LABEL_RULE})")
DNS_1035 = NameRule(is_dns_1035_label, f"a DNS-1035 label ({DNS_1035_RULE})")
PATH_SEGMENT = NameRule(is_path_segment, "a valid path segment (not '.' or '..', no '/' or '%')")


@dataclass(frozen=True)
class Kind:
    """A built-in kind: its API group, the versions served, its scope and its naming rule."""

    group: str
    versions: frozenset[str]
    cluster_scoped: bool = False
    name_rule: NameRule = SUBDOMAIN


def _kinds(
    group: str, versions: str, *names: str, cluster: bool = False, rule: NameRule = SUBDOMAIN
) -> dict[str, Kind]:
    return {name: Kind(group, frozenset(versions.split()), cluster, rule) for name in names}


BUILT_IN: dict[str, Kind] = {
    **_kinds("", "v1", "Pod", "ConfigMap", "Secret", "PersistentVolumeClaim", "ServiceAccount", "Endpoints"),
    **_kinds("", "v1", "LimitRange", "ResourceQuota", "ReplicationController"),
    **_kinds("", "v1", "Service", rule=DNS_1035),
    **_kinds("", "v1", "Namespace", cluster=True, rule=LABEL),
    **_kinds("", "v1", "PersistentVolume", "Node", cluster=True),
    **_kinds("apps", "v1", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"),
    **_kinds("batch", "v1", "Job", "CronJob"),
    **_kinds("networking.k8s.io", "v1", "Ingress", "NetworkPolicy"),
    **_kinds("networking.k8s.io", "v1", "IngressClass", cluster=True),
    **_kinds("policy", "v1", "PodDisruptionBudget"),
    **_kinds("autoscaling", "v1 v2", "HorizontalPodAutoscaler"),
    **_kinds("rbac.authorization.k8s.io", "v1", "Role", "RoleBinding", rule=PATH_SEGMENT),
    **_kinds("rbac.authorization.k8s.io", "v1", "ClusterRole", "ClusterRoleBinding", cluster=True, rule=PATH_SEGMENT),
    **_kinds("storage.k8s.io", "v1", "StorageClass", "CSIDriver", cluster=True),
    **_kinds("scheduling.k8s.io", "v1", "PriorityClass", cluster=True),
    **_kinds("apiextensions.k8s.io", "v1", "CustomResourceDefinition", cluster=True),
    **_kinds(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        cluster=True,
    ),
    **_kinds("coordination.k8s.io", "v1", "Lease"),
}


def kind_info(kind: str) -> Kind | None:
    """The built-in kind of that name; None for custom resources."""
    return BUILT_IN.get(kind)


@dataclass(frozen=True, order=True)
class ObjectKey:
    """An object's identity: API group (not version: one object is served in several), kind, namespace, name."""

    group: str
    kind: str
    namespace: str  # "" for cluster-scoped objects
    name: str

    @property
    def ref(self) -> str:
        """A unique string form, used as the key in the model's maps."""
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{self.namespace}/{kind}/{self.name}"

    @property
    def display(self) -> str:
        """How events and errors name the object: ``Deployment/web``."""
        return f"{self.kind}/{self.name}"
