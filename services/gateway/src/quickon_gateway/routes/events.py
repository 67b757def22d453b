"""``GET /api/v1/events``: every event the caller may see, as server-sent events, resumable."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from quickon_common.contracts import REGISTRY

from ..auth import CurrentUser
from ..deps import GatewayParts
from ..events import Feed, Item
from ..problems import Problem

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["events"])
RETRY_MS = 2000  # how soon a client reconnects (with Last-Event-ID) after the stream ends unexpectedly


@dataclass
class Opened:
    """The feed and where it starts, settled before the response begins (so a failure can be a 503)."""

    feed: Feed
    backlog: list[Item]
    start: int
    end: int | None  # None: follow for ever


async def open_feed(
    parts: GatewayParts,
    user: CurrentUser,
    last: Annotated[int | None, Query(ge=0, le=10_000, description="start with the last N events")] = None,
    after: Annotated[int | None, Query(ge=0, description="continue after this sequence (as Last-Event-ID)")] = None,
    follow: Annotated[bool, Query(description="false: end once caught up")] = True,
    context: Annotated[str | None, Query(pattern=r"^[a-z]+$", max_length=32, description="deploy, market…")] = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", pattern=r"^[0-9]{1,19}$", description="resume after this id")
    ] = None,
) -> Opened:
    """Check the query and NATS, and place the feed; 422 or 503 here, before any event is sent."""
    if context is not None and context not in REGISTRY.contexts():
        known = ", ".join(REGISTRY.contexts())
        raise Problem(422, f"there is no context {context!r}; use one of {known}",
                      errors=[{"field": "query.context", "message": f"one of {known}"}])  # fmt: skip
    connection = parts.service.nats
    if connection is None or not connection.is_connected:
        raise Problem(503, "the gateway is not connected to NATS now, so there are no events to stream; retry shortly")
    settings = parts.service.settings
    feed = Feed(
        js=parts.service.js,
        stream=settings.stream_name,
        subject=f"qc.{context}.>" if context else "qc.>",
        principal=user,
    )
    resume = int(last_event_id) if last_event_id is not None else after
    try:
        end = await feed.end()
        backlog = await feed.last(last, end=end) if last and resume is None else []
    except Exception as error:  # NATS went away, or the stream is not there yet
        log.warning("the event stream cannot be read: %s: %s", type(error).__name__, error)  # the text stays here
        raise Problem(503, f"the event stream cannot be read now ({type(error).__name__}); retry") from None
    start = resume + 1 if resume is not None else end + 1
    return Opened(feed=feed, backlog=backlog, start=start, end=None if follow else end)


def _message(item: Item) -> ServerSentEvent:
    return ServerSentEvent(id=str(item.sequence), event=item.type, data=item.body)


@router.get(
    "/events",
    response_class=EventSourceResponse,
    summary="The platform's events as server-sent events (id = stream sequence; resumable)",
)
async def stream_events(opened: Annotated[Opened, Depends(open_feed)]) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(comment="QuickOn events", retry=RETRY_MS)
    for item in opened.backlog:
        yield _message(item)
    try:
        async for item in opened.feed.items(opened.start, until=opened.end):
            yield _message(item)
    except Exception as error:  # NATS away mid-stream: end it; the client resumes from its last id
        log.warning("event stream ended: %s: %s", type(error).__name__, error)
