"""Server-sent events (the WHATWG ``text/event-stream`` format), parsed from the stream's lines."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One dispatched event: its ``id``, ``event`` type and ``data`` (lines joined with newlines)."""

    event: str
    data: str
    id: str | None = None


def messages(lines: Iterable[str]) -> Iterator[Message]:
    """The messages in ``lines``: fields gathered until a blank line; comments (``:``) skipped, and,
    as the standard says, a message the stream cut before its blank line is not delivered."""
    event, data, last_id = "", list[str](), None
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield Message(event=event or "message", data="\n".join(data), id=last_id)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id" and "\0" not in value:
            last_id = value
