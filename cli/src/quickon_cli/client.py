"""HTTP to the gateway: one client per command, RFC 9457 problems turned into :class:`ApiError`."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

# httpx's package loads its own command-line client (click, rich, pygments: about 170 ms) whenever those
# happen to be installed, as they are beside the services; qc never runs it, so it is kept from loading
# (a module set to None is one Python's import system treats as absent; httpx then defines a stub).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402

from . import __version__  # noqa: E402
from .errors import ApiError, Unreachable, problem_detail, problem_lines, unreachable_lines  # noqa: E402

__all__ = ["ApiError", "Client", "Unreachable", "problem_detail", "problem_lines", "unreachable_lines"]

USER_AGENT = f"qc/{__version__}"
TIMEOUT_S = 30.0


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return {"status": response.status_code, "detail": text[:500] or response.reason_phrase}
    return body if isinstance(body, dict) else {"status": response.status_code, "detail": str(body)}


class Client:
    """The gateway's HTTP API, with the caller's token."""

    def __init__(self, url: str, token: str | None, *, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json, application/problem+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=TIMEOUT_S, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; the decoded JSON body (``None`` when empty), or :class:`ApiError`."""
        if "params" in kwargs:
            kwargs["params"] = {k: v for k, v in kwargs["params"].items() if v is not None}
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ApiError(
                504, {"detail": f"the gateway at {self.url} did not answer within {TIMEOUT_S:.0f}s"}
            ) from None
        except httpx.TransportError as error:
            raise Unreachable(self.url, _reason(error)) from None
        if response.status_code >= 400:
            raise ApiError(response.status_code, _problem(response))
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(502, {"detail": f"the gateway answered {path} with something other than JSON"}) from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("POST", path, json=body, params=params)

    def put(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("PUT", path, json=body, params=params)

    def patch(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("PATCH", path, json=body, params=params)

    def delete(self, path: str, **params: Any) -> Any:
        return self.request("DELETE", path, params=params)

    @contextmanager
    def stream_lines(self, path: str, *, params: Mapping[str, Any], timeout: float | None) -> Iterator[Iterator[str]]:
        """The lines of a streamed answer (server-sent events); errors as :meth:`request` raises them."""
        with self._stream(path, params=params, accept="text/event-stream", timeout=timeout) as response:
            yield response.iter_lines()

    @contextmanager
    def stream_bytes(self, path: str, *, params: Mapping[str, Any], timeout: float | None) -> Iterator[Iterator[bytes]]:
        """The body of a streamed download (an export), chunk by chunk; errors as :meth:`request` raises them."""
        with self._stream(path, params=params, accept="*/*", timeout=timeout) as response:
            yield response.iter_bytes()

    @contextmanager
    def _stream(
        self, path: str, *, params: Mapping[str, Any], accept: str, timeout: float | None
    ) -> Iterator[httpx.Response]:
        query = {k: v for k, v in params.items() if v is not None}
        try:
            with self._http.stream(
                "GET", path, params=query, headers={"Accept": accept}, timeout=httpx.Timeout(10, read=timeout)
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ApiError(response.status_code, _problem(response))
                yield response
        except httpx.TimeoutException:
            raise ApiError(504, {"detail": f"the stream from {self.url} went silent"}) from None
        except httpx.TransportError as error:
            raise Unreachable(self.url, _reason(error)) from None


def _reason(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.ConnectError):
        text = str(error)
        if "refused" in text.lower():
            return "connection refused"
        return text or "cannot connect"
    return str(error) or type(error).__name__
