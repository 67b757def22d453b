"""The objects QuickOn owns to reach a service: its Ingress, the redirect of its other domains, their TLS
Secrets or cert-manager Certificates, and the Secret of its basic-auth users.

Pure functions: :func:`exposure_objects` renders them from the service's settings, its web entry and the
secrets the deployer keeps (sealed) for it; the runtime applies them as a set (what it held before and is
not in the new set is deleted). Every object carries the label :data:`OWNER_LABEL` naming the service.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quickon_common.contracts.exposure import Exposure
from quickon_common.names import DNS_LABEL_MAX

from ..settings import DeployerSettings
from .annotations import PREFIX, ExposureError, ForwardAuth, basic_auth_secret_name, ingress_annotations

OWNER_LABEL = "quickon.io/exposure-of"
MANAGED_BY = {"app.kubernetes.io/managed-by": "quickon"}
WEB_ANNOTATION = "quickon.io/web"  # in Chart.yaml: "<service>:<port>", the Service and port a browser uses
HTTP_PORT_NAMES = ("http", "https", "web", "ui")
KINDS = ("Ingress", "Secret", "Certificate")  # every kind exposure_objects makes: the runtime deletes only these


@dataclass(frozen=True)
class WebEntry:
    """The Service (of the release) and port its Ingress routes to."""

    service: str
    port: int | str  # a number, or the port's name

    def __str__(self) -> str:
        return f"{self.service}:{self.port}"


@dataclass(frozen=True)
class Platform:
    """What the operator configured: the base domain, the ingress class, cert-manager's issuer, single sign-on
    and where the controller keeps the Core Rule Set."""

    ingress_class: str = "nginx"
    base_domain: str | None = None
    cert_issuer: str | None = None
    forward_auth: ForwardAuth | None = None
    crs_include: str | None = None

    @classmethod
    def from_settings(cls, settings: DeployerSettings) -> Platform:
        """The operator's choices, from the deployer's settings (:class:`ExposureError` for a bad one)."""
        return cls(
            ingress_class=settings.ingress_class, base_domain=settings.base_domain, cert_issuer=settings.cert_issuer,
            forward_auth=ForwardAuth.from_settings(settings), crs_include=settings.waf_crs_include,
        )  # fmt: skip


@dataclass(frozen=True)
class Keys:
    """The secrets behind a service's exposure (kept sealed by the deployer): uploaded keys and self-signed
    certificates by host, and the basic-auth users' password hashes."""

    uploaded: dict[str, str] = field(default_factory=dict)  # host -> key PEM
    self_signed: dict[str, tuple[str, str]] = field(default_factory=dict)  # host -> (certificate, key) PEM
    passwords: dict[str, str] = field(default_factory=dict)  # user -> bcrypt hash

    def to_json(self) -> dict[str, Any]:
        return {"uploaded": self.uploaded, "self_signed": self.self_signed, "passwords": self.passwords}

    def merged(self, exposure: Exposure, given_keys: dict[str, Any], given_passwords: dict[str, Any]) -> Keys:
        """These kept secrets with those a request gives, for what ``exposure`` still lists only."""
        keys, passwords = {**self.uploaded, **given_keys}, {**self.passwords, **given_passwords}
        uploaded = {d.host for d in exposure.domains if d.tls == "uploaded"}
        return Keys(
            uploaded={host: str(keys[host]) for host in uploaded if host in keys},
            self_signed={host: pair for host, pair in self.self_signed.items() if auto_tls(exposure, host)},
            passwords={u: str(passwords[u]) for u in exposure.protection.access.basic_auth_users if u in passwords},
        )

    def sign_missing(
        self,
        service: str,
        namespace: str,
        exposure: Exposure,
        platform: Platform,
        web: WebEntry | None,
        sign: Callable[[str], tuple[str, str]],
    ) -> None:
        """Give each host whose certificate is automatic, where no issuer is named, a self-signed one of ``sign``
        (kept from then on, so that it does not change at every apply)."""
        if web is None or platform.cert_issuer:
            return
        for host in hosts(service, namespace, exposure, platform.base_domain):
            if auto_tls(exposure, host) and host not in self.self_signed:
                self.self_signed[host] = sign(host)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Keys:
        pairs = data.get("self_signed") or {}
        return cls(
            uploaded=dict(data.get("uploaded") or {}),
            self_signed={host: (pair[0], pair[1]) for host, pair in pairs.items()},
            passwords=dict(data.get("passwords") or {}),
        )


def web_entry(manifests: list[dict[str, Any]], declared: str | None) -> WebEntry | None:
    """The web entry: the one the chart declares (``quickon.io/web: <service>:<port>``, which must be among its
    Services), else the first Service with a port named like a web port; None for a service with no web page
    (a database)."""
    services = [m for m in manifests if m.get("kind") == "Service" and isinstance(m.get("metadata"), dict)]
    if declared:
        wanted = parse_web_entry(declared)
        for svc in services:
            if wanted is None or svc["metadata"].get("name") != wanted.service:
                continue
            for entry in svc.get("spec", {}).get("ports") or []:
                if wanted.port in (entry.get("port"), entry.get("name")):
                    return wanted
        raise ExposureError(
            f"the chart declares its web entry {declared!r} ({WEB_ANNOTATION}), but no Service of the release has "
            "that name and port; ask the chart's author to correct Chart.yaml"
        )
    for svc in services:
        for entry in svc.get("spec", {}).get("ports") or []:
            name = str(entry.get("name") or "")
            if name in HTTP_PORT_NAMES or name.startswith("http"):
                return WebEntry(svc["metadata"]["name"], int(entry["port"]))
    return None


def with_kept_certificates(asked: Exposure, kept: Exposure) -> Exposure:
    """``asked``, where a domain with an uploaded certificate is named without it (the CLI and the console
    send the whole settings back without the certificates they never held), with the one kept for it."""
    stored = {d.host: d.certificate for d in kept.domains if d.tls == "uploaded" and d.certificate}
    domains = [
        d.model_copy(update={"certificate": stored[d.host]})
        if d.tls == "uploaded" and d.certificate is None and d.host in stored else d
        for d in asked.domains
    ]  # fmt: skip
    return asked.model_copy(update={"domains": domains})


def auto_tls(exposure: Exposure, host: str) -> bool:
    """Whether the host's certificate is automatic (the default address's always is)."""
    return next((d.tls for d in exposure.domains if d.host == host), "auto") == "auto"


def parse_web_entry(text: str | None) -> WebEntry | None:
    """A web entry as :class:`WebEntry` writes it (``<Service>:<port>``)."""
    if not text:
        return None
    name, _, port = text.rpartition(":")
    return WebEntry(name, int(port) if port.isdigit() else port)


def default_host(service: str, namespace: str, base_domain: str) -> str:
    """``<service>-<namespace>.<base domain>`` (a team's own namespace is named after the team); a label too
    long for DNS is shortened with a hash, so that it stays unique."""
    label = f"{service}-{namespace}"
    if len(label) > DNS_LABEL_MAX:
        digest = hashlib.sha256(label.encode()).hexdigest()[:8]
        label = f"{label[: DNS_LABEL_MAX - 9].rstrip('-')}-{digest}"
    return f"{label}.{base_domain}"


def hosts(service: str, namespace: str, exposure: Exposure, base_domain: str | None) -> list[str]:
    """Every host the service answers on, the primary first: the one marked primary, else the first custom
    domain, else the platform's default address."""
    custom = [d.host for d in exposure.domains]
    default = [default_host(service, namespace, base_domain)] if base_domain else []
    ordered = custom + default
    if not ordered:
        return []
    primary = next((d.host for d in exposure.domains if d.primary), ordered[0])
    return [primary, *(h for h in ordered if h != primary)]


def urls(service: str, namespace: str, exposure: Exposure, base_domain: str | None, web: WebEntry | None) -> list[str]:
    """Where a browser reaches the service, the primary address first (none without a web entry)."""
    if web is None:
        return []
    plain = {d.host for d in exposure.domains if d.tls == "none"}
    return [f"{'http' if h in plain else 'https'}://{h}" for h in hosts(service, namespace, exposure, base_domain)]


def tls_secret_name(service: str, host: str) -> str:
    """The Secret holding a host's certificate: named by the service and a digest of the host (stable)."""
    return f"{service}-tls-{hashlib.sha256(host.encode()).hexdigest()[:10]}"


def exposure_objects(
    *,
    service: str,
    namespace: str,
    exposure: Exposure,
    web: WebEntry | None,
    platform: Platform,
    keys: Keys,
) -> list[dict[str, Any]]:
    """The objects that reach and protect the service; empty when it has no web entry or no address."""
    if web is None:
        if exposure.domains:
            raise ExposureError(
                f"{service} has no web page to give a domain to: its chart declares no {WEB_ANNOTATION} and none "
                "of its Services has a port named http"
            )
        return []
    every = hosts(service, namespace, exposure, platform.base_domain)
    if not every:
        return []
    primary, others = every[0], every[1:]
    tls_of = {d.host: d.tls for d in exposure.domains}  # the default address's TLS is automatic
    objects: list[dict[str, Any]] = []
    tls_entries: list[dict[str, Any]] = []
    for host in every:
        source = tls_of.get(host, "auto")
        if source == "none":
            continue
        secret = tls_secret_name(service, host)
        tls_entries.append({"hosts": [host], "secretName": secret})
        if source == "uploaded":
            domain = next(d for d in exposure.domains if d.host == host)
            if domain.certificate is None or host not in keys.uploaded:
                raise ExposureError(f"{host}: an uploaded certificate needs its certificate and key; upload both")
            objects.append(_tls_secret(secret, namespace, service, domain.certificate, keys.uploaded[host]))
        elif platform.cert_issuer:
            objects.append(_certificate(secret, namespace, service, host, platform.cert_issuer))
        else:
            if host not in keys.self_signed:
                raise ExposureError(f"{host}: no self-signed certificate was made for it")  # the step makes them
            certificate, key = keys.self_signed[host]
            objects.append(_tls_secret(secret, namespace, service, certificate, key))
    protection = ingress_annotations(
        exposure.protection, service=service, forward_auth=platform.forward_auth,
        **({"crs_include": platform.crs_include} if platform.crs_include else {}),
    )  # fmt: skip
    users = exposure.protection.access.basic_auth_users
    if users:
        missing = [u for u in users if u not in keys.passwords]
        if missing:
            raise ExposureError(f"basic-auth user(s) {', '.join(missing)} have no password; give one for each")
        htpasswd = "".join(f"{user}:{keys.passwords[user]}\n" for user in users)
        objects.append(_secret(basic_auth_secret_name(service), namespace, service, {"auth": htpasswd}))
    redirect_tls = {PREFIX + "ssl-redirect": "true"} if any(e["hosts"] == [primary] for e in tls_entries) else {}
    objects.append(
        _ingress(service, namespace, service, [primary], web, platform, {**protection, **redirect_tls}, tls_entries)
    )
    if others:
        scheme = "http" if tls_of.get(primary) == "none" else "https"
        redirect = {PREFIX + "permanent-redirect": f"{scheme}://{primary}$request_uri"}
        objects.append(
            _ingress(f"{service}-redirect", namespace, service, others, web, platform, redirect, tls_entries)
        )
    return objects


def _metadata(name: str, namespace: str, service: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {**MANAGED_BY, OWNER_LABEL: service}}
    if annotations:
        meta["annotations"] = annotations
    return meta


def _ingress(
    name: str,
    namespace: str,
    service: str,
    rule_hosts: list[str],
    web: WebEntry,
    platform: Platform,
    annotations: dict[str, str],
    tls_entries: list[dict[str, Any]],
) -> dict[str, Any]:
    port = {"number": web.port} if isinstance(web.port, int) else {"name": web.port}
    backend = {"service": {"name": web.service, "port": port}}
    spec: dict[str, Any] = {
        "ingressClassName": platform.ingress_class,
        "rules": [
            {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
            for host in rule_hosts
        ],
    }
    tls = [entry for entry in tls_entries if entry["hosts"][0] in rule_hosts]
    if tls:
        spec["tls"] = tls
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _metadata(name, namespace, service, annotations),
        "spec": spec,
    }


def _secret(name: str, namespace: str, service: str, data: dict[str, str], kind: str = "Opaque") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(name, namespace, service),
        "type": kind,
        "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()},
    }


def _tls_secret(name: str, namespace: str, service: str, certificate: str, key: str) -> dict[str, Any]:
    return _secret(name, namespace, service, {"tls.crt": certificate, "tls.key": key}, "kubernetes.io/tls")


def _certificate(name: str, namespace: str, service: str, host: str, issuer: str) -> dict[str, Any]:
    """A cert-manager Certificate for one host, issued by the operator's ClusterIssuer into the Secret ``name``."""
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": _metadata(name, namespace, service),
        "spec": {
            "secretName": name,
            "dnsNames": [host],
            "issuerRef": {"name": issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
        },
    }
