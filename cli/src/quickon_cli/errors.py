"""What goes wrong talking to the gateway, and how it is shown: kept apart from the HTTP client so
that the parser and the error handling load without httpx (a `qc --help` should not pay for it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
