"""Following objects through the API's list and watch, as client-go's reflector does, instead of polling.

The logic only: a :class:`Source` (sources.py) is the thin part that talks to the API server. A list gives
the objects and the resourceVersion to watch from; every event moves that resourceVersion on (a BOOKMARK
only that), so a watch the server ends (its timeout) is opened again where it stopped without missing or
repeating anything. A resourceVersion the server no longer keeps (410 Gone, :class:`Expired`) is
recovered by listing again. Every wait is bounded.

Sync on purpose: the kubernetes client's ``watch.Watch`` blocks, so each follower runs in a worker thread;
``stopped`` lets the caller end one early (it is checked between events and between watch requests,
each of which the server ends after at most ``WATCH_REQUEST_S``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

WATCH_REQUEST_S = 30  # the server ends each watch request after this long (or the caller's time left)
BOOKMARK, ADDED, MODIFIED, DELETED = "BOOKMARK", "ADDED", "MODIFIED", "DELETED"


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED or BOOKMARK
    name: str  # empty for a BOOKMARK
    resource_version: str
    object: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Listing:
    objects: dict[str, Mapping[str, Any]]  # by name
    resource_version: str


class Expired(Exception):
    """410 Gone: the server no longer has the events since that resourceVersion; list again."""


class WatchTimeout(Exception):
    """The wait's time ran out; ``objects`` is what was there then."""

    def __init__(self, objects: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(f"still there: {', '.join(sorted(objects))}")
        self.objects = dict(objects)


class Source(Protocol):
    """One list+watch of the API (one kind, namespace and selector)."""

    def list(self) -> Listing: ...

    def watch(self, resource_version: str, seconds: int) -> Iterable[WatchEvent]:
        """The events after ``resource_version`` until the server ends the stream after ``seconds``;
        raises :class:`Expired` when that resourceVersion is too old."""
        ...


def _never() -> bool:
    return False


@dataclass
class Cache:
    """What a source holds now, as its last list and the events since tell, and where to watch from."""

    objects: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    resource_version: str = ""

    def relist(self, source: Source) -> None:
        listing = source.list()
        self.objects, self.resource_version = dict(listing.objects), listing.resource_version

    def apply(self, event: WatchEvent) -> bool:
        """Take in one event; returns whether an object changed (a BOOKMARK only moves the resourceVersion)."""
        if event.resource_version:
            self.resource_version = event.resource_version
        if event.type == DELETED:
            self.objects.pop(event.name, None)
        elif event.type in (ADDED, MODIFIED):
            self.objects[event.name] = event.object
        else:
            return False
        return True


def follow(
    source: Source,
    done: Callable[[Mapping[str, Mapping[str, Any]]], bool],
    *,
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
    stopped: Callable[[], bool] = _never,
) -> dict[str, Mapping[str, Any]]:
    """List, then watch, until ``done`` holds of the objects (decided again after every event); returns them.
    Raises :class:`WatchTimeout` after ``seconds`` (or once ``stopped``)."""
    deadline = clock() + seconds
    cache = Cache()
    cache.relist(source)
    while not done(cache.objects):
        left = deadline - clock()
        if left <= 0 or stopped():
            raise WatchTimeout(cache.objects)
        try:
            for event in source.watch(cache.resource_version, _request_seconds(left)):
                if cache.apply(event) and done(cache.objects):
                    return cache.objects
                if stopped() or clock() >= deadline:
                    break
        except Expired:
            cache.relist(source)
        # Otherwise the server ended the stream: watch again from the last resourceVersion seen.
    return cache.objects


def first_change(
    source: Source,
    since: str,
    *,
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
    stopped: Callable[[], bool] = _never,
) -> bool:
    """Whether an object of ``source`` changed after resourceVersion ``since`` (as listed): True at the first
    such event, or when ``since`` has expired (changes may have been missed), False after ``seconds``."""
    deadline = clock() + seconds
    cache = Cache(resource_version=since)
    while (left := deadline - clock()) > 0 and not stopped():
        try:
            for event in source.watch(cache.resource_version, _request_seconds(left)):
                if cache.apply(event):
                    return True
                if stopped() or clock() >= deadline:
                    break
        except Expired:
            return True
    return False


def _request_seconds(left: float) -> int:
    """A watch request's server-side timeout: whole seconds, at least one, at most WATCH_REQUEST_S."""
    return max(1, min(WATCH_REQUEST_S, math.ceil(left)))
