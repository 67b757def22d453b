"""The objects QuickOn owns to reach a release on a cluster: Ingresses, Secrets and cert-manager Certificates
labelled ``quickon.io/exposure-of: <release>``, applied as a set (``Runtime.apply_exposure``)."""

from __future__ import annotations

from typing import Any

from kubernetes import client

from ...exposure.ingress import OWNER_LABEL
from ..base import RuntimeFailure
from .errors import _Edges, _unless_gone

CERT_MANAGER = ("cert-manager.io", "v1", "certificates")


class _Exposure(_Edges):
    _api: client.ApiClient
    _core: client.CoreV1Api

    async def apply_exposure(self, *, namespace: str, release: str, objects: list[dict[str, Any]]) -> None:
        for obj in objects:
            await self._put(namespace, obj)
        wanted = {(obj["kind"], obj["metadata"]["name"]) for obj in objects}
        for held in await self.exposure(namespace=namespace, release=release):
            kind, name = held["kind"], held["metadata"]["name"]
            if (kind, name) not in wanted:
                await self._delete(namespace, kind, name)

    async def exposure(self, *, namespace: str, release: str) -> list[dict[str, Any]]:
        selector = f"{OWNER_LABEL}={release}"
        networking = client.NetworkingV1Api(self._api)
        found: list[dict[str, Any]] = []
        ingresses = await self._kube(networking.list_namespaced_ingress, namespace, label_selector=selector)
        found += [self._plain(item, "networking.k8s.io/v1", "Ingress") for item in ingresses.items]
        secrets = await self._kube(self._core.list_namespaced_secret, namespace, label_selector=selector)
        found += [self._plain(item, "v1", "Secret") for item in secrets.items]
        custom = client.CustomObjectsApi(self._api)
        try:
            certificates = await self._kube(
                custom.list_namespaced_custom_object, *CERT_MANAGER[:2], namespace, CERT_MANAGER[2],
                label_selector=selector,
            )  # fmt: skip
        except RuntimeFailure:
            if await self._cert_manager_installed():
                raise
            certificates = {"items": []}  # no cert-manager: no Certificate can be held
        found += certificates.get("items", []) if isinstance(certificates, dict) else []
        return found

    async def _put(self, namespace: str, obj: dict[str, Any]) -> None:
        """Create the object, or replace the one of that name (carrying its resourceVersion)."""
        kind, name = obj["kind"], obj["metadata"]["name"]
        if kind == "Certificate" and not await self._cert_manager_installed():
            raise RuntimeFailure(
                "cert-manager is not installed in the cluster (no Certificate kind): install it, or have the "
                "operator unset QC_DEPLOYER_CERT_ISSUER so that automatic certificates are self-signed"
            )
        read, create, replace = self._calls(kind, "read"), self._calls(kind, "create"), self._calls(kind, "replace")
        existing: Any = await self._kube(_unless_gone(read), name, namespace)
        if existing is None:
            await self._kube(create, namespace, obj)
            return
        held = existing if isinstance(existing, dict) else self._plain(existing, obj["apiVersion"], kind)
        body = {**obj, "metadata": {**obj["metadata"], "resourceVersion": held["metadata"]["resourceVersion"]}}
        await self._kube(replace, name, namespace, body)

    async def _delete(self, namespace: str, kind: str, name: str) -> None:
        await self._kube(_unless_gone(self._calls(kind, "delete")), name, namespace)

    def _calls(self, kind: str, verb: str) -> Any:
        """The client call that does ``verb`` to an object of ``kind`` in a namespace, as ``(name, namespace, …)``
        for read/replace/delete and ``(namespace, body)`` for create."""
        if kind == "Ingress":
            return getattr(client.NetworkingV1Api(self._api), f"{verb}_namespaced_ingress")
        if kind == "Secret":
            return getattr(self._core, f"{verb}_namespaced_secret")
        custom = getattr(
            client.CustomObjectsApi(self._api), f"{'get' if verb == 'read' else verb}_namespaced_custom_object"
        )
        group, version, plural = CERT_MANAGER
        if verb == "create":
            return lambda namespace, body, **kw: custom(group, version, namespace, plural, body, **kw)
        if verb == "replace":
            return lambda name, namespace, body, **kw: custom(group, version, namespace, plural, name, body, **kw)
        return lambda name, namespace, **kw: custom(group, version, namespace, plural, name, **kw)

    async def _cert_manager_installed(self) -> bool:
        extensions = client.ApiextensionsV1Api(self._api)
        found = await self._kube(
            _unless_gone(extensions.read_custom_resource_definition), "certificates.cert-manager.io"
        )
        return found is not None

    def _plain(self, item: Any, api_version: str, kind: str) -> dict[str, Any]:
        """A typed client object as the plain dict a manifest is (list calls leave out kind and apiVersion)."""
        plain: dict[str, Any] = self._api.sanitize_for_serialization(item)  # type: ignore[no-untyped-call]
        return {"apiVersion": api_version, "kind": kind, **plain}
