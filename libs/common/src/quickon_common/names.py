"""The DNS name rules every service checks names against, written once.

A service name, a namespace, a repository name: each becomes part of a Kubernetes object's name, a
NATS subject or a URL path, so each must be an RFC 1123 label. The gateway uses the pattern in its
request models (pydantic checks it); the services and the simulated cluster call the functions.
"""

from __future__ import annotations

import re

DNS_LABEL_BODY = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"  # unanchored, for patterns that contain a label
DNS_LABEL_PATTERN = rf"^{DNS_LABEL_BODY}$"
DNS_LABEL_MAX = 63
RELEASE_NAME_MAX = 53  # Helm's limit on a release's name, which is a service's name
DNS_SUBDOMAIN_PATTERN = rf"^{DNS_LABEL_BODY}(\.{DNS_LABEL_BODY})*$"
DNS_SUBDOMAIN_MAX = 253
DNS_LABEL_RULE = "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
DNS_SUBDOMAIN_RULE = (
    "lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit, "
    "at most 253 characters"
)

_DNS_LABEL = re.compile(DNS_LABEL_PATTERN)
_DNS_SUBDOMAIN = re.compile(DNS_SUBDOMAIN_PATTERN)


def is_dns_label(name: str, *, max_length: int = DNS_LABEL_MAX) -> bool:
    """Whether ``name`` is an RFC 1123 label of at most ``max_length`` characters (Helm's release names: 53)."""
    # fullmatch, not match: '$' also matches before a final newline, and "web\n" is no name.
    return len(name) <= min(max_length, DNS_LABEL_MAX) and _DNS_LABEL.fullmatch(name) is not None


def is_dns_subdomain(name: str) -> bool:
    """Whether ``name`` is an RFC 1123 subdomain: dot-separated labels, at most 253 characters."""
    return len(name) <= DNS_SUBDOMAIN_MAX and _DNS_SUBDOMAIN.fullmatch(name) is not None


# Kubernetes' own namespaces: no app of a team is ever installed there (nor into the platform's own).
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})


def reserved_namespace(namespace: str, *, platform_namespace: str) -> str | None:
    """Why ``namespace`` may never hold a team's service, or None."""
    if namespace in SYSTEM_NAMESPACES:
        return f"{namespace!r} is Kubernetes' own namespace; services go into a namespace of their team"
    if namespace == platform_namespace:
        return f"{namespace!r} is the platform's own namespace; services go into a namespace of their team"
    return None
