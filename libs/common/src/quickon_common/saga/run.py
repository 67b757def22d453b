"""One saga while it runs: its record, its plan, and what its steps keep between records."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlmodel import SQLModel

from ..contracts import Event
from ..envelope import Envelope
from .record import SagaRecord, aware, envelope_of

R = TypeVar("R", bound=SagaRecord)
P = TypeVar("P")
# The engine's own facts, kept in the plan's JSON beside the model's fields (the keys today's rows have).
ENGINE_KEYS = ("failed_step", "compensation_deadline", "compensation_failed", "asked")


@dataclass(eq=False)
class Run(Generic[R, P]):
    """One saga while it runs: its record as loaded, its plan, and what steps keep in memory between them."""

    record: R
    plan: P
    failed_step: str | None = None  # the step whose failure started the compensation
    compensation_deadline: float | None = None  # epoch seconds: the budget of undoing a failure
    compensation_failed: str | None = None  # why a compensation step failed, if one did
    asked: list[str] = field(default_factory=list)  # requests to other services sent already (their keys)
    memory: dict[str, Any] = field(default_factory=dict)  # e.g. rendered manifests; lost on a crash
    outgoing: list[Event] = field(default_factory=list)  # events a step announces, sent with its record
    rows: list[SQLModel] = field(default_factory=list)  # rows a step writes, saved with its record
    progress: list[tuple[str, str]] = field(default_factory=list)  # (step, state) not on record yet
    step: str = ""  # the step running now
    # Held while a record is written: a long repeatable step's start and its own note may be told at
    # once, and each must build on the other's step log, not race it.
    recording: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Puts the running step's progress on record (set by the runner): see :meth:`note`.
    recorder: Callable[[Run[R, P], str], Awaitable[None]] | None = None

    def announce(self, event: Event) -> None:
        """Publish ``event`` with the next record of this saga (in the same transaction)."""
        self.outgoing.append(event)

    async def note(self, detail: str) -> None:
        """Put the running step's progress (``detail``), its plan so far and what it announced on record
        now: a resumed run starts that step again with them."""
        if self.recorder is not None:
            await self.recorder(self, detail)

    @property
    def deadline_passed(self) -> bool:
        return datetime.now(UTC) >= aware(self.record.deadline)

    @property
    def deadline(self) -> float:
        """The saga's deadline in epoch seconds."""
        return aware(self.record.deadline).timestamp()

    def cause(self) -> Envelope:
        """The request's envelope, so that every event of the saga follows from it."""
        return envelope_of(self.record.cause)

    def stored_plan(self, dump: Callable[[P], dict[str, Any]]) -> dict[str, Any]:
        """The plan's JSON with the engine's facts beside it, as the record keeps it."""
        facts = {
            "failed_step": self.failed_step, "compensation_deadline": self.compensation_deadline,
            "compensation_failed": self.compensation_failed, "asked": list(self.asked) or None,
        }  # fmt: skip
        return {**dump(self.plan), **{k: v for k, v in facts.items() if v is not None}}
