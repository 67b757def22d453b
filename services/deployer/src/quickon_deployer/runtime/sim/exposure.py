"""What the simulated API server checks of the objects that reach a release (``Runtime.apply_exposure``):
what a real one would refuse, so that the sim does not accept what a cluster would not."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from quickon_common.names import is_dns_subdomain

KNOWN = {
    ("networking.k8s.io/v1", "Ingress"),
    ("v1", "Secret"),
    ("cert-manager.io/v1", "Certificate"),  # the sim models a cluster where cert-manager is installed
}


def exposure_problem(obj: dict[str, Any], *, namespace: str, services: set[str]) -> str | None:
    """Why the API server would refuse ``obj``; None when it would take it."""
    kind, api = obj.get("kind"), obj.get("apiVersion")
    meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    name = str(meta.get("name") or "")
    if (api, kind) not in KNOWN:
        return f"no kind {kind!r} in {api!r} is served here"
    if not is_dns_subdomain(name):
        return f"{kind} name {name[:80]!r} is not a DNS subdomain"
    if meta.get("namespace") != namespace:
        return f"{kind}/{name} is in namespace {meta.get('namespace')!r}, not {namespace!r}"
    if kind == "Secret":
        data = obj.get("data") or {}
        try:
            for value in data.values():
                base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError):
            return f"Secret/{name}: data must be base64"
        if obj.get("type") == "kubernetes.io/tls" and not {"tls.crt", "tls.key"} <= set(data):
            return f"Secret/{name}: a kubernetes.io/tls Secret needs tls.crt and tls.key"
    if kind == "Ingress":
        for rule in obj.get("spec", {}).get("rules") or []:
            host = str(rule.get("host") or "")
            if not is_dns_subdomain(host):
                return f"Ingress/{name}: host {host[:80]!r} is not a DNS name"
            for path in rule.get("http", {}).get("paths") or []:
                backend = path.get("backend", {}).get("service", {}).get("name")
                if backend not in services:
                    return f"Ingress/{name}: it routes to Service {backend!r}, which the release does not have"
    if kind == "Certificate":
        spec = obj.get("spec") or {}
        if not spec.get("secretName") or not spec.get("issuerRef", {}).get("name"):
            return f"Certificate/{name}: it needs a secretName and an issuerRef"
        if not all(is_dns_subdomain(str(n)) for n in spec.get("dnsNames") or [None]):
            return f"Certificate/{name}: a DNS name is not valid"
    return None
