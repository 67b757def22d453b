"""HTTP to the gateway: one client per command, RFC 9457 problems turned into :class:`ApiError`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from . import __version__

USER_AGENT = f"qc/{__version__}"
TIMEOUT_S = 30.0


class ApiError(Exception):
    """The gateway answered with an error status; ``problem`` is its (problem+json) body."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        super().__init__(problem_detail(status, problem))


class Unreachable(Exception):
    """The gateway did not answer at all (nothing listens, DNS, TLS, timeout)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot reach the QuickOn gateway at {url} ({reason})")


def problem_detail(status: int, problem: Mapping[str, Any]) -> str:
    """The one line that says what went wrong: ``detail``, else ``title``, else the status."""
    detail = problem.get("detail")
    if isinstance(detail, str) and detail:
        return detail
    title = problem.get("title")
    if isinstance(title, str) and title:
        return title
    return f"the gateway answered {status}"


def problem_lines(status: int, problem: Mapping[str, Any]) -> list[str]:
    """How an error is shown on stderr: ``error: <detail>``, one line per field error or message,
    and what to do about a missing or refused token."""
    lines = [f"error: {problem_detail(status, problem)}"]
    errors = problem.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, Mapping):
                field = item.get("field") or ".".join(str(p) for p in item.get("loc") or [])
                message = item.get("message") or item.get("msg") or ""
                lines.append(f"  {field}: {message}" if field else f"  {message}")
            else:
                lines.append(f"  {item}")
    # FastAPI's own validation answer ({"detail": [...]}) before the gateway maps it to a problem.
    detail = problem.get("detail")
    if isinstance(detail, list):
        lines = [f"error: the gateway refused the request ({status})"]
        for item in detail:
            loc = ".".join(str(p) for p in item.get("loc") or []) if isinstance(item, Mapping) else ""
            message = item.get("msg", "") if isinstance(item, Mapping) else str(item)
            lines.append(f"  {loc}: {message}" if loc else f"  {message}")
    messages = problem.get("messages")
    if isinstance(messages, list):
        lines.extend(f"  {message}" for message in messages)
    if status == 401:
        lines.append("  (not logged in, or the token expired or was revoked: run `qc login`)")
    elif status == 403:
        lines.append("  (your user may not do this; ask an administrator)")
    return lines


def unreachable_lines(error: Unreachable) -> list[str]:
    """How an unreachable gateway is shown: where qc looked and how to start or point at one."""
    return [
        f"error: {error}",
        "  Is the platform running? Start it here with `qc up` (or `make up`),",
        "  or point qc at another gateway with --url or QC_URL.",
    ]


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
