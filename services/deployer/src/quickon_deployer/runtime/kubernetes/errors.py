"""The edges: retries while the cluster cannot be reached, and API/helm errors mapped to RuntimeFailure."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import urllib3
from kubernetes.client import ApiException
from pyhelm3 import errors as helm_errors  # type: ignore[import-untyped]
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from quickon_common.telemetry import client_span

from ..base import ReleaseNotFound, RuntimeFailure

T = TypeVar("T")

REQUEST_TIMEOUT = (5.0, 30.0)  # connect, read: an API server that does not answer fails the call, not the saga
MESSAGE_MAX = 2000
RETRYABLE_STATUS = {429, 500, 502, 503, 504}
# Words in helm's errors meaning it could not talk to the API server (pyhelm3 classifies only some).
UNREACHABLE = re.compile(
    r"cluster unreachable|connection refused|no such host|i/o timeout|network is unreachable|"
    r"tls handshake timeout|connection reset|etcdserver|context deadline exceeded"
)
REFUSED = re.compile(r"unauthorized|provide credentials|forbidden: user .* cannot")


class _Edges:
    """Every Kubernetes API call and helm command of the runtime goes through here."""

    _server: str  # the API server's address, for messages
    _helm_deadline_s: float

    async def _kube(self, call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """One Kubernetes API call in a worker thread, retried briefly while the API server cannot be reached."""
        bound = partial(call, *args, _request_timeout=REQUEST_TIMEOUT, **kwargs)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.3, max=2),
                retry=retry_if_exception(_kube_unreachable),
                reraise=True,
            ):
                with attempt, client_span(f"kubernetes {getattr(call, '__name__', 'call')}"):
                    return await asyncio.to_thread(bound)
        except (ApiException, urllib3.exceptions.HTTPError) as error:
            raise self._kube_failure(error) from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def _run_helm(self, make: Callable[[], Awaitable[T]], *, changes: bool) -> T:
        """One helm command, retried briefly while the cluster cannot be reached; one that ``changes`` the
        release only when helm failed before touching anything (its first step checks the cluster answers)."""

        def retry(error: BaseException) -> bool:
            if not isinstance(error, helm_errors.Error):
                return False
            message = _helm_message(error).lower()
            if REFUSED.search(message):
                return False
            if changes:
                return "kubernetes cluster unreachable" in message
            return bool(UNREACHABLE.search(message))

        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.5, max=4),
                retry=retry_if_exception(retry),
                reraise=True,
            ):
                with attempt:
                    # helm's --timeout bounds its waits, not a call the API server never answers.
                    async with asyncio.timeout(self._helm_deadline_s):
                        return await make()
        except helm_errors.Error as error:
            raise self._helm_failure(error) from None
        except TimeoutError:
            raise RuntimeFailure(f"helm did not finish in {self._helm_deadline_s:.0f}s", retryable=True) from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _kube_failure(self, error: Exception) -> RuntimeFailure:
        if isinstance(error, ApiException) and error.status:
            message = _api_message(error)
            # 403 also answers an exceeded quota: only "User ... cannot ..." is about credentials/RBAC.
            if error.status == 401 or (error.status == 403 and "cannot" in message):
                return _refused_failure(message)
            return RuntimeFailure(f"the cluster refused: {message}", retryable=error.status in RETRYABLE_STATUS)
        reason = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
        return self._unreachable_failure(reason)

    def _helm_failure(self, error: Any) -> RuntimeFailure:
        message = _helm_message(error)
        lower = message.lower()
        if isinstance(error, helm_errors.ReleaseNotFoundError):
            return ReleaseNotFound(f"helm: {message}")
        if REFUSED.search(lower):
            return _refused_failure(message)
        if isinstance(error, helm_errors.ConnectionError) or UNREACHABLE.search(lower):
            return self._unreachable_failure(message)
        # A concurrent (or interrupted) install/upgrade/rollback holds the release; it may finish.
        return RuntimeFailure(f"helm: {message}", retryable="another operation" in lower)

    def _unreachable_failure(self, reason: object) -> RuntimeFailure:
        return RuntimeFailure(f"the Kubernetes API server {self._server} cannot be reached: {reason}", retryable=True)


def _refused_failure(message: str) -> RuntimeFailure:
    """The cluster turned the credentials away (or RBAC forbids the call): trying again will not help."""
    return RuntimeFailure(f"the cluster refused: {message}; check the kubeconfig's credentials/RBAC")


def _kube_unreachable(error: BaseException) -> bool:
    # urllib3 raises on refused/reset connections and timeouts; the client turns TLS failures into status 0.
    return isinstance(error, urllib3.exceptions.HTTPError) or (isinstance(error, ApiException) and not error.status)


def _api_message(error: ApiException) -> str:
    """The API server's own message (its Status body), else the HTTP status."""
    try:
        message = json.loads(error.body or "").get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message or f"{error.status} {error.reason}")[:MESSAGE_MAX]


def _helm_message(error: Any) -> str:
    """helm's error, without the warnings it prints first (such as a group-readable kubeconfig)."""
    stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else str(error)
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("WARNING: ")]
    message = "\n".join(lines).removeprefix("Error: ") or f"helm exited with {error.returncode}"
    return message[:MESSAGE_MAX]


def _unless_gone(call: Callable[..., T]) -> Callable[..., T | None]:
    """``call``, for which a 404 (already deleted) is success."""

    def run(*args: Any, **kwargs: Any) -> T | None:
        try:
            return call(*args, **kwargs)
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    return run
