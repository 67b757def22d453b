"""Kubernetes-style events, kept per release and bounded, with repeats folded into a count."""

from __future__ import annotations

from dataclasses import dataclass, replace

NORMAL = "Normal"
WARNING = "Warning"


@dataclass(frozen=True)
class Event:
    """One event; like the event recorder, an identical repeat raises ``count`` and ``last_time``."""

    type: str
    reason: str
    involved_object: str  # Kind/name: Pod/web-7d9c-x2k4f, Deployment/web
    message: str
    time: float
    last_time: float
    count: int = 1
    field_path: str = ""  # the container within the object: spec.containers{web}

    @property
    def identity(self) -> tuple[str, str, str, str, str]:
        return (self.type, self.reason, self.involved_object, self.field_path, self.message)


def record(events: list[Event], event: Event, *, limit: int) -> None:
    """Add ``event`` to a release's list (newest last), folding an identical earlier one into it."""
    for index in range(len(events) - 1, -1, -1):
        earlier = events[index]
        if earlier.identity == event.identity:
            del events[index]
            event = replace(event, time=earlier.time, count=earlier.count + 1)
            break
    events.append(event)
    del events[: max(len(events) - limit, 0)]
