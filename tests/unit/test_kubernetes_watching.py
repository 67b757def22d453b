"""The kubernetes runtime's watching, against a fake event stream: resourceVersion bookkeeping, relisting
after 410 Gone, reconnecting when the server ends a watch, bounded waits, and the decisions taken from events
(an object gone, a release changed). The API-facing part (sources.py) is checked where it turns the client's
event dicts and errors into these."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client import ApiException

from quickon_deployer.runtime.base import RuntimeFailure
from quickon_deployer.runtime.kubernetes import KubernetesRuntime, waiting
from quickon_deployer.runtime.kubernetes.sources import events_of
from quickon_deployer.runtime.kubernetes.watching import (
    ADDED,
    BOOKMARK,
    DELETED,
    MODIFIED,
    Expired,
    Listing,
    WatchEvent,
    WatchTimeout,
    first_change,
    follow,
)


class FakeSource:
    """Lists and watch streams played from scripts; records where each watch started and how long it asked for."""

    def __init__(self, listings: list[Listing], streams: list[list[WatchEvent | Exception]]) -> None:
        self.listings = listings
        self.streams = streams
        self.lists = 0
        self.watched_from: list[str] = []
        self.requested: list[int] = []

    def list(self) -> Listing:
        self.lists += 1
        return self.listings.pop(0)

    def watch(self, resource_version: str, seconds: int) -> Iterator[WatchEvent]:
        self.watched_from.append(resource_version)
        self.requested.append(seconds)
        for item in self.streams.pop(0) if self.streams else []:
            if isinstance(item, Exception):
                raise item
            yield item


class Clock:
    """Time that moves only when told (or by ``step`` on every read)."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def pod(name: str, version: str, **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "resourceVersion": version}, "status": status}


def event(kind: str, name: str, version: str) -> WatchEvent:
    return WatchEvent(kind, name, version, pod(name, version) if kind != BOOKMARK else {})


def empty(objects: Any) -> bool:
    return not objects


def test_follow_decides_from_events_and_resumes_where_the_server_ended_the_watch() -> None:
    source = FakeSource(
        [Listing({"web-1": pod("web-1", "8"), "web-2": pod("web-2", "9")}, "10")],
        [
            [event(BOOKMARK, "", "11"), event(DELETED, "web-1", "12")],  # then the server's timeout ends it
            [event(MODIFIED, "web-2", "13"), event(DELETED, "web-2", "14"), event(ADDED, "never-read", "15")],
        ],
    )

    assert follow(source, empty, seconds=60, clock=Clock()) == {}

    assert source.lists == 1
    assert source.watched_from == ["10", "12"]  # from the list, then from the last event seen: nothing missed


def test_a_bookmark_moves_the_resource_version_on_without_counting_as_a_change() -> None:
    source = FakeSource(
        [Listing({"web-1": pod("web-1", "8")}, "10")],
        [[event(BOOKMARK, "", "20")], [event(DELETED, "web-1", "21")]],
    )

    assert follow(source, empty, seconds=60, clock=Clock()) == {}
    assert source.watched_from == ["10", "20"]


def test_an_expired_resource_version_is_recovered_by_listing_again() -> None:
    source = FakeSource(
        [Listing({"web-1": pod("web-1", "8")}, "10"), Listing({"web-1": pod("web-1", "30")}, "31")],
        [[Expired("too old resource version")], [event(DELETED, "web-1", "32")]],
    )

    assert follow(source, empty, seconds=60, clock=Clock()) == {}
    assert source.lists == 2
    assert source.watched_from == ["10", "31"]  # from the new list's resourceVersion


def test_what_is_already_done_at_the_list_needs_no_watch() -> None:
    source = FakeSource([Listing({}, "10")], [])

    assert follow(source, empty, seconds=60, clock=Clock()) == {}
    assert source.watched_from == []


def test_follow_is_bounded_and_says_what_is_still_there() -> None:
    # The pod never goes: each event and each read of the clock moves time on by one second.
    changes = [[event(MODIFIED, "web-1", str(n))] for n in range(11, 40)]
    source = FakeSource([Listing({"web-1": pod("web-1", "8")}, "10")], changes)

    with pytest.raises(WatchTimeout) as timeout:
        follow(source, empty, seconds=5, clock=Clock(step=1.0))

    assert list(timeout.value.objects) == ["web-1"]
    assert all(1 <= seconds <= 5 for seconds in source.requested)  # no watch request outlives the wait


def test_follow_ends_when_the_caller_stops_it() -> None:
    source = FakeSource([Listing({"web-1": pod("web-1", "8")}, "10")], [[event(MODIFIED, "web-1", "11")]])

    with pytest.raises(WatchTimeout):
        follow(source, empty, seconds=60, clock=Clock(), stopped=lambda: True)


def test_readiness_is_decided_again_at_every_event() -> None:
    def ready(objects: Any) -> bool:
        return all(o["status"].get("readyReplicas") == o["status"].get("replicas") for o in objects.values())

    def deployment(version: str, ready_replicas: int) -> WatchEvent:
        body = pod("web", version, replicas=2, readyReplicas=ready_replicas)
        return WatchEvent(MODIFIED, "web", version, body)

    source = FakeSource(
        [Listing({"web": pod("web", "8", replicas=2, readyReplicas=0)}, "10")],
        [[deployment("11", 1), deployment("12", 2), deployment("13", 1)]],
    )

    objects = follow(source, ready, seconds=60, clock=Clock())

    assert objects["web"]["metadata"]["resourceVersion"] == "12"  # the first moment it was ready, not later


def test_first_change_ignores_bookmarks_and_reconnects_from_them() -> None:
    source = FakeSource([], [[event(BOOKMARK, "", "20")], [event(MODIFIED, "web-1", "21")]])

    assert first_change(source, "10", seconds=60, clock=Clock())
    assert source.watched_from == ["10", "20"]
    assert source.lists == 0  # it starts from what health() listed


def test_first_change_counts_an_expired_resource_version_as_a_change() -> None:
    # Events were missed: the caller reads the release again (its list is the relist).
    source = FakeSource([], [[Expired("too old resource version")]])

    assert first_change(source, "10", seconds=60, clock=Clock())


def test_first_change_gives_up_after_its_time_with_no_change() -> None:
    source = FakeSource([], [[event(BOOKMARK, "", str(n))] for n in range(11, 40)])

    assert not first_change(source, "10", seconds=3, clock=Clock(step=1.0))
    assert len(source.watched_from) <= 3


def test_the_clients_events_and_its_410_become_watch_events_and_expired() -> None:
    def stream() -> Iterator[dict[str, Any]]:
        yield {"type": "ADDED", "raw_object": pod("web-1", "11"), "object": object()}
        yield {"type": "BOOKMARK", "raw_object": {"metadata": {"resourceVersion": "12"}}}
        raise ApiException(status=410, reason="Expired: too old resource version: 10 (12)")

    events = events_of(stream())

    assert next(events) == WatchEvent(ADDED, "web-1", "11", pod("web-1", "11"))
    assert next(events) == WatchEvent(BOOKMARK, "", "12", {"metadata": {"resourceVersion": "12"}})
    with pytest.raises(Expired):
        next(events)


def test_other_api_errors_of_a_watch_are_not_taken_for_an_expiry() -> None:
    def stream() -> Iterator[dict[str, Any]]:
        raise ApiException(status=403, reason="Forbidden")
        yield {}

    with pytest.raises(ApiException) as refused:
        list(events_of(stream()))
    assert refused.value.status == 403


# -- the runtime's use of them (its API calls replaced by fake sources) --------------------------------


class QuietSource(FakeSource):
    """A watch that reports nothing until the caller stops waiting (bookmarks only)."""

    def __init__(self, objects: dict[str, Any] | None = None) -> None:
        super().__init__([Listing(dict(objects or {}), "10")] * 10, [])

    def watch(self, resource_version: str, seconds: int) -> Iterator[WatchEvent]:
        self.watched_from.append(resource_version)
        time.sleep(0.05)
        yield event(BOOKMARK, "", resource_version)


def runtime(tmp_path: Path, *, wait_s: float = 60) -> KubernetesRuntime:
    # No cluster: nothing here reaches the API (every source is a fake).
    api = client.ApiClient(client.Configuration(host="https://127.0.0.1:9"))
    return KubernetesRuntime(api=api, helm=None, command=None, workdir=tmp_path, helm_timeout_s=wait_s)


async def test_until_changed_returns_at_the_first_change_of_any_watch_of_the_release(tmp_path: Path) -> None:
    cluster = runtime(tmp_path)
    quiet, changing = QuietSource(), FakeSource([], [[event(MODIFIED, "web-1", "11")]])
    cluster._marks[("apps", "web")] = [(quiet, "10"), (changing, "10")]  # as health() leaves them

    await cluster.until_changed(namespace="apps", release="web", at_most=60)

    assert changing.watched_from == ["10"]
    assert ("apps", "web") not in cluster._marks  # the next wait starts from the next reading's lists
    await cluster.close()


async def test_an_uninstall_whose_objects_do_not_go_fails_retryably_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = runtime(tmp_path, wait_s=0.3)
    monkeypatch.setattr(waiting, "TypedSource", lambda *args, **kwargs: QuietSource({"web-1": pod("web-1", "8")}))

    with pytest.raises(RuntimeFailure) as failure:
        await cluster._until_deleted("apps", "web", documents=[], pod_selectors=["app=web"], claims=[])

    assert failure.value.retryable
    assert "web-1 still being deleted" in failure.value.reason
    await cluster.close()


async def test_an_uninstall_returns_once_its_pods_are_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = runtime(tmp_path)
    made: list[FakeSource] = []

    def terminating(*args: Any, **kwargs: Any) -> FakeSource:
        made.append(FakeSource([Listing({"web-1": pod("web-1", "8")}, "10")], [[event(DELETED, "web-1", "11")]]))
        return made[-1]

    monkeypatch.setattr(waiting, "TypedSource", terminating)

    await cluster._until_deleted("apps", "web", documents=[], pod_selectors=["app=web", "a=b"], claims=["data"])

    assert len(made) == 3 and all(source.watched_from == ["10"] for source in made)
    await cluster.close()


async def test_until_changed_does_not_spin_when_it_cannot_watch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = runtime(tmp_path)
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(waiting.asyncio, "sleep", sleep)
    refused = FakeSource([], [[ApiException(status=403, reason="Forbidden: cannot watch pods")]])
    cluster._marks[("apps", "web")] = [(refused, "10")]

    await cluster.until_changed(namespace="apps", release="web", at_most=60)

    assert slept == [waiting.POLL_FALLBACK_S]  # a poll as helm's, not a busy loop of health() reads
    await cluster.close()
