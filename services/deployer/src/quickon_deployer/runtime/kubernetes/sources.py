"""The API-facing side of watching.py: one list and watch through the kubernetes client, kept thin so that
everything it decides is in watching.py (and unit-tested there with a fake event stream)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kubernetes import watch
from kubernetes.client import ApiException
from kubernetes.dynamic import DynamicClient, Resource

from .errors import REQUEST_TIMEOUT
from .watching import Expired, Listing, WatchEvent

GONE, NOT_FOUND = 410, 404
READ_SLACK_S = 10.0  # beyond the server's own timeout of a watch request, before the client gives up reading


class TypedSource:
    """A kind the client has a typed list call for (``CoreV1Api.list_namespaced_pod``, ...)."""

    def __init__(
        self, lister: Callable[..., Any], namespace: str, *, label_selector: str = "", field_selector: str = ""
    ) -> None:
        self.lister = lister
        self.namespace = namespace
        self._selectors = {"label_selector": label_selector, "field_selector": field_selector}

    def list(self) -> Listing:
        # As JSON, not the client's models: objects read the same from a list and from a watch event.
        response = self.lister(
            self.namespace, **self._selectors, _request_timeout=REQUEST_TIMEOUT, _preload_content=False
        )
        return listing(json.loads(response.data))

    def watch(self, resource_version: str, seconds: int) -> Iterator[WatchEvent]:
        events = watch.Watch().stream(  # type: ignore[no-untyped-call]
            self.lister,
            self.namespace,
            **self._selectors,
            resource_version=resource_version,
            timeout_seconds=seconds,
            allow_watch_bookmarks=True,
            _request_timeout=(REQUEST_TIMEOUT[0], seconds + READ_SLACK_S),
        )
        yield from events_of(events)


class DynamicSource:
    """One named object of any kind (a chart's custom resources too), through the dynamic client."""

    def __init__(self, dynamic: DynamicClient, resource: Resource, namespace: str | None, name: str) -> None:
        self._dynamic = dynamic
        self._resource = resource
        self._namespace = namespace if resource.namespaced else None
        self._field_selector = f"metadata.name={name}"

    def list(self) -> Listing:
        try:
            found = self._resource.get(namespace=self._namespace, field_selector=self._field_selector)
        except ApiException as error:
            if error.status == NOT_FOUND:  # the kind itself is gone (its CRD was deleted): so is the object
                return Listing({}, "")
            raise
        return listing(found.to_dict())

    def watch(self, resource_version: str, seconds: int) -> Iterator[WatchEvent]:
        events = self._dynamic.watch(  # type: ignore[no-untyped-call]
            self._resource,
            namespace=self._namespace,
            field_selector=self._field_selector,
            resource_version=resource_version,
            timeout=seconds,
            allow_watch_bookmarks=True,
        )
        try:
            yield from events_of(events)
        except ApiException as error:
            if error.status == NOT_FOUND:
                raise Expired("the kind is no longer served") from None  # listing again finds nothing
            raise


def mark(source: TypedSource, found: Any) -> tuple[TypedSource, str]:
    """``source`` with the resourceVersion of its list ``found``: where a watch of what it listed starts."""
    metadata = getattr(found, "metadata", None)
    return source, str(getattr(metadata, "resource_version", None) or "")


def listing(found: Mapping[str, Any]) -> Listing:
    """A list response (JSON) as the objects by name and the resourceVersion to watch from."""
    items = found.get("items") or []
    version = (found.get("metadata") or {}).get("resourceVersion")
    return Listing({str(item["metadata"]["name"]): item for item in items}, str(version or ""))


def events_of(stream: Iterator[Mapping[str, Any]]) -> Iterator[WatchEvent]:
    """The client's event dicts as WatchEvents; its 410 (an ERROR event or the response) as Expired."""
    try:
        for event in stream:
            raw = event.get("raw_object")
            raw = raw if isinstance(raw, Mapping) else {}
            metadata = raw.get("metadata") or {}
            yield WatchEvent(
                str(event.get("type")), str(metadata.get("name") or ""), str(metadata.get("resourceVersion") or ""), raw
            )
    except ApiException as error:
        raise _expired(error) from None


def _expired(error: ApiException) -> Exception:
    return Expired(str(error.reason)) if error.status == GONE else error
