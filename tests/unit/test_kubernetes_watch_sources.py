"""The thin API side of the kubernetes runtime's watching (sources.py) through the real kubernetes client,
against a fake API server on this machine that plays the HTTP of a list and a watch: the query each call
sends (resourceVersion, bookmarks, timeout, selectors) and the 410 Gone of an expired watch, which must end
in a list and a watch from the new list's resourceVersion."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from kubernetes import client
from kubernetes.dynamic import DynamicClient

from quickon_deployer.runtime.kubernetes import KubernetesRuntime
from quickon_deployer.runtime.kubernetes.sources import DynamicSource, TypedSource
from quickon_deployer.runtime.kubernetes.watching import first_change, follow

POD = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web-1", "namespace": "apps", "resourceVersion": "9"}}
EXPIRED = {
    "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired", "code": 410,
    "message": "too old resource version: 10 (15)",
}  # fmt: skip


class FakeApi(BaseHTTPRequestHandler):
    """Discovery of the core group, and pods: the first list is at resourceVersion 10, whose watch has expired
    (a BOOKMARK, then a 410 ERROR event); the next list is at 20, whose watch reports the pod deleted."""

    calls: list[tuple[str, dict[str, list[str]]]] = []

    def log_message(self, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.calls.append((url.path, query))
        discovery = {
            "/version": {"major": "1", "minor": "30", "gitVersion": "v1.30.0"},
            "/api": {"kind": "APIVersions", "versions": ["v1"]},
            "/apis": {"kind": "APIGroupList", "groups": []},
            "/api/v1": {
                "kind": "APIResourceList",
                "groupVersion": "v1",
                "resources": [{"name": "pods", "namespaced": True, "kind": "Pod", "verbs": ["list", "watch"]}],
            },
        }
        if url.path in discovery:
            self._send(discovery[url.path])
        elif url.path == "/api/v1/namespaces/apps/pods" and query.get("watch") == ["true"]:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if query.get("resourceVersion") == ["10"]:
                bookmark = {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": "11"}}
                events = [{"type": "BOOKMARK", "object": bookmark}, {"type": "ERROR", "object": EXPIRED}]
            else:
                deleted = {**POD, "metadata": {**POD["metadata"], "resourceVersion": "21"}}
                events = [{"type": "DELETED", "object": deleted}]
            for event in events:
                self.wfile.write(json.dumps(event).encode() + b"\n")
        elif url.path == "/api/v1/namespaces/apps/pods":
            lists = sum(1 for path, q in self.calls if path == url.path and q.get("watch") != ["true"])
            version = "10" if lists == 1 else "20"
            self._send(
                {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": version}, "items": [POD]}
            )
        else:
            self._send({"kind": "Status", "code": 404}, status=404)

    def _send(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api() -> Iterator[client.ApiClient]:
    FakeApi.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api = client.ApiClient(client.Configuration(host=f"http://127.0.0.1:{server.server_address[1]}"))
    yield api
    api.close()  # type: ignore[no-untyped-call]
    server.shutdown()
    server.server_close()


def pod_calls() -> list[dict[str, list[str]]]:
    return [query for path, query in FakeApi.calls if path == "/api/v1/namespaces/apps/pods"]


def test_a_typed_watch_relists_after_410_and_watches_from_the_new_list(api: client.ApiClient) -> None:
    source = TypedSource(client.CoreV1Api(api).list_namespaced_pod, "apps", label_selector="app=web")

    assert follow(source, lambda objects: not objects, seconds=10) == {}

    calls = pod_calls()
    assert [(q.get("watch"), q.get("resourceVersion")) for q in calls] == [
        (None, None), (["true"], ["10"]), (None, None), (["true"], ["20"]),
    ]  # fmt: skip
    watch = calls[1]
    assert watch["labelSelector"] == ["app=web"] and watch["allowWatchBookmarks"] == ["true"]
    assert watch["timeoutSeconds"] == ["10"]


def test_a_dynamic_watch_of_one_named_object_does_the_same(api: client.ApiClient, tmp_path: Path) -> None:
    dynamic = DynamicClient(api, cache_file=str(tmp_path / "discovery.json"))  # type: ignore[no-untyped-call]
    resource = dynamic.resources.get(api_version="v1", kind="Pod")
    source = DynamicSource(dynamic, resource, "apps", "web-1")

    assert follow(source, lambda objects: not objects, seconds=10) == {}

    calls = pod_calls()
    assert [q.get("resourceVersion") for q in calls] == [None, ["10"], None, ["20"]]
    assert all(q["fieldSelector"] == ["metadata.name=web-1"] for q in calls)


def test_both_sources_list_objects_as_the_json_a_watch_event_carries(api: client.ApiClient, tmp_path: Path) -> None:
    typed = TypedSource(client.CoreV1Api(api).list_namespaced_pod, "apps")
    dynamic = DynamicClient(api, cache_file=str(tmp_path / "discovery.json"))  # type: ignore[no-untyped-call]
    named = DynamicSource(dynamic, dynamic.resources.get(api_version="v1", kind="Pod"), "apps", "web-1")

    for listed in (typed.list(), named.list()):
        assert listed.objects["web-1"]["metadata"]["resourceVersion"] == "9"  # a decision reads both alike
    assert [typed.list().resource_version, named.list().resource_version] == ["20", "20"]


def test_a_change_watch_from_an_expired_version_says_changed(api: client.ApiClient) -> None:
    source = TypedSource(client.CoreV1Api(api).list_namespaced_pod, "apps")

    assert first_change(source, "10", seconds=10)  # the bookmark alone was no change; the 410 says look again
    assert [q.get("resourceVersion") for q in pod_calls()] == [["10"]]


# -- the runtime's health() and until_changed() through the client, against a fake cluster -----------------

TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}


def deployment(version: str, ready: int) -> dict[str, Any]:
    return {
        "kind": "Deployment", "apiVersion": "apps/v1",
        "metadata": {"name": "web", "namespace": "apps", "resourceVersion": version, "generation": 1,
                     "labels": {"app.kubernetes.io/instance": "web"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
        "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": ready},
    }  # fmt: skip


class FakeCluster(BaseHTTPRequestHandler):
    """One release ``web`` (helm's record, a Deployment and its pod) whose Deployment becomes ready while a
    watch from the resourceVersion of its list is open; every other list is empty and its watch quiet."""

    calls: list[tuple[str, dict[str, list[str]]]] = []
    ready = 0

    def log_message(self, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.calls.append((url.path, query))
        kind = url.path.rsplit("/", 1)[-1]
        if query.get("watch") == ["true"]:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if kind == "deployments":
                FakeCluster.ready = 1  # what the controllers report once the pod is ready
                event = {"type": "MODIFIED", "object": deployment("101", ready=1)}
                self.wfile.write(json.dumps(event).encode() + b"\n")
            return  # the others: nothing to report (the stream ends, as at the server's timeout)
        items: list[dict[str, Any]] = []
        if kind == "secrets":
            items = [{"metadata": {"name": "sh.helm.release.v1.web.v1", "labels": {"owner": "helm"}}}]
        elif kind == "deployments":
            items = [deployment("100", ready=self.ready)]
        elif kind == "pods":
            items = [{"metadata": {"name": "web-1", "namespace": "apps", "labels": {"app": "web"}}}]
        body = json.dumps({"metadata": {"resourceVersion": "100"}, "items": items}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def cluster_api() -> Iterator[client.ApiClient]:
    FakeCluster.calls, FakeCluster.ready = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCluster)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = client.ApiClient(client.Configuration(host=f"http://127.0.0.1:{server.server_address[1]}"))
    yield api
    server.shutdown()
    server.server_close()


async def test_a_release_waited_for_is_read_again_as_soon_as_its_deployment_changes(
    cluster_api: client.ApiClient, tmp_path: Path
) -> None:
    runtime = KubernetesRuntime(api=cluster_api, helm=None, command=None, workdir=tmp_path, helm_timeout_s=60)

    before = await runtime.health(namespace="apps", release="web")
    assert before.exists and not before.ready and [p.name for p in before.pods] == ["web-1"]

    await runtime.until_changed(namespace="apps", release="web", at_most=60)

    watches = {path.rsplit("/", 1)[-1]: q for path, q in FakeCluster.calls if q.get("watch") == ["true"]}
    assert watches["deployments"]["resourceVersion"] == ["100"]  # from what health() listed: nothing missed
    assert watches["deployments"]["labelSelector"] == ["app.kubernetes.io/instance=web"]
    after = await runtime.health(namespace="apps", release="web")
    assert after.ready
    await runtime.close()
