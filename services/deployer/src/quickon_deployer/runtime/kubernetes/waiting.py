"""Waiting on the cluster by watching it (watching.py), never by polling: for a change to a release while a
saga waits for it to become ready or stopped, and for a release's objects and pods to be gone after
``helm uninstall`` (what ``helm uninstall --wait`` waits for, as the user does).

Each watch blocks a thread of a pool of the runtime's own, so that waits never hold up the API calls that
go through the default executor.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import urllib3
from kubernetes import client
from kubernetes.client import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from ..base import RuntimeFailure
from .release import RESOURCE_POLICY, Marks, _ReleaseReading
from .sources import DynamicSource, TypedSource
from .watching import WatchTimeout, first_change, follow

T = TypeVar("T")
WATCH_THREADS = 64
POLL_FALLBACK_S = 2.0  # helm 3's poll interval: how often a wait looks when it cannot watch


class _Waiting(_ReleaseReading):
    _api: client.ApiClient
    _workdir: Path
    _wait_s: float  # how long an uninstall waits for the release's objects to go (helm's --timeout)

    def _start_waiting(self) -> None:
        self._watch_pool = ThreadPoolExecutor(max_workers=WATCH_THREADS, thread_name_prefix="qc-watch")
        self._marks: dict[tuple[str, str], Marks] = {}
        self._dynamic: DynamicClient | None = None

    def _stop_waiting(self) -> None:
        self._watch_pool.shutdown(wait=False, cancel_futures=True)

    async def until_changed(self, *, namespace: str, release: str, at_most: float) -> None:
        marks = self._marks.pop((namespace, release), None)
        if not marks:  # health() found no release to watch (or never read it): nothing will report a change
            await asyncio.sleep(at_most)
            return
        stop = threading.Event()
        watches = [
            self._in_watch_thread(first_change, source, since, seconds=at_most, stopped=stop.is_set)
            for source, since in marks
        ]
        try:
            done, _ = await asyncio.wait(watches, return_when=asyncio.FIRST_COMPLETED)
            if all(task.exception() is not None for task in done):
                # The watch failed (the API server going away, RBAC without the watch verb): look again no
                # sooner than helm's poll would, and let health() say what is wrong.
                await asyncio.sleep(min(POLL_FALLBACK_S, at_most))
        finally:
            stop.set()
            for task in watches:
                task.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def _until_deleted(
        self,
        namespace: str,
        release: str,
        *,
        documents: list[dict[str, Any]],
        pod_selectors: list[str],
        claims: list[str],
    ) -> None:
        """Until every object ``documents`` names (but those helm keeps), every pod ``pod_selectors`` select
        and the deleted ``claims`` (which a pod still using them holds back) are gone; at most ``_wait_s``."""
        sources: list[TypedSource | DynamicSource] = [
            TypedSource(self._core.list_namespaced_pod, namespace, label_selector=selector)
            for selector in pod_selectors
        ]
        sources += [
            TypedSource(
                self._core.list_namespaced_persistent_volume_claim, namespace, field_selector=f"metadata.name={claim}"
            )
            for claim in claims
        ]
        stop = threading.Event()
        watches: list[asyncio.Future[Any]] = []
        try:
            sources += await self._in_thread(self._document_sources, namespace, documents)
            watches = [
                self._in_watch_thread(follow, source, _empty, seconds=self._wait_s, stopped=stop.is_set)
                for source in sources
            ]
            await asyncio.gather(*watches)
        except WatchTimeout:
            left = await self._still_there(sources)
            raise RuntimeFailure(
                f"release {namespace}/{release} is uninstalled but {', '.join(left) or 'some objects'} still "
                f"being deleted after {self._wait_s:.0f}s (a finalizer or a pod that does not stop?)",
                retryable=True,
            ) from None
        except (ApiException, urllib3.exceptions.HTTPError) as error:
            raise self._kube_failure(error) from None
        finally:
            stop.set()
            for task in watches:
                task.add_done_callback(lambda done: done.cancelled() or done.exception())

    def _document_sources(self, namespace: str, documents: list[dict[str, Any]]) -> list[DynamicSource]:
        """A watch of each rendered object helm deletes; a kind the cluster no longer serves (its CRD was
        part of the release) has nothing left to wait for."""
        if not documents:
            return []
        if self._dynamic is None:  # discovery costs a few calls: made once, when first needed
            self._dynamic = DynamicClient(  # type: ignore[no-untyped-call]
                self._api, cache_file=str(self._workdir / "discovery.json")
            )
        sources = []
        for document in documents:
            metadata = document.get("metadata") or {}
            if (metadata.get("annotations") or {}).get(RESOURCE_POLICY) == "keep":
                continue  # helm leaves it (QuickOn's claims: uninstall deletes them itself, then they are watched)
            try:
                resource = self._dynamic.resources.get(api_version=document["apiVersion"], kind=document["kind"])
            except ResourceNotFoundError:
                continue
            object_namespace = str(metadata.get("namespace") or namespace)
            sources.append(DynamicSource(self._dynamic, resource, object_namespace, str(metadata.get("name"))))
        return sources

    async def _still_there(self, sources: list[TypedSource | DynamicSource]) -> list[str]:
        listings = await asyncio.gather(*(self._in_thread(source.list) for source in sources), return_exceptions=True)
        return sorted(name for found in listings if not isinstance(found, BaseException) for name in found.objects)

    def _in_watch_thread(self, call: Callable[..., T], /, *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self._watch_pool, partial(call, *args, **kwargs))

    async def _in_thread(self, call: Callable[..., T], /, *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._watch_pool, partial(call, *args))


def _empty(objects: Mapping[str, Any]) -> bool:
    return not objects
