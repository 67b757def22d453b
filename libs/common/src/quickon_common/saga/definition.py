"""A saga's definition: its plan model, its steps (named functions, each with a retry policy), how a
failure is undone, and what success and failure leave behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, cast

from pydantic import BaseModel, ConfigDict

from .policy import NO_RETRY, RetryPolicy
from .run import P, R, Run

if TYPE_CHECKING:
    from ..outbox import UnitOfWork


class Plan(BaseModel):
    """The base of every saga kind's plan: frozen (a step makes a new one with ``model_copy(update=...)``),
    stored as JSON in the saga's row; keys it does not know (from an older release) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


StepFn = Callable[[Run[R, P]], Awaitable[None]]


@dataclass(frozen=True)
class Step(Generic[R, P]):
    """One step: its name (on record, in events), its function, and how its passing failures are retried.

    ``repeatable``: its start need not be on record before it runs, since a crash during it only means
    running it again (it changes nothing outside the process's memory, or recognises its own effect).
    """

    name: str
    run: StepFn[R, P]
    retry: RetryPolicy = NO_RETRY
    repeatable: bool = False


Finish = Callable[[Run[R, P], "UnitOfWork"], Awaitable[None]]
Fail = Callable[[Run[R, P], "UnitOfWork", str], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class Saga(Generic[R, P]):
    """The steps of one kind of saga, what success records, and how a failure is undone and told.

    ``plan``: the frozen model of the saga's plan (None: a plain dict, for sagas with nothing to plan).
    ``finish`` and ``fail`` run in the saga's last transaction. ``early`` is started when a request is
    accepted, before its transaction commits: a read the first steps will want; it must change nothing.
    """

    plan: type[P] | None = None
    steps: tuple[Step[R, P], ...]
    compensation: tuple[Step[R, P], ...] = ()
    finish: Finish[R, P]
    fail: Fail[R, P]
    early: Callable[[R], None] | None = None

    def load_plan(self, stored: dict[str, Any]) -> P:
        """The plan model from its stored JSON (the engine's own keys already taken out)."""
        if self.plan is None:
            return stored  # type: ignore[return-value]
        model: type[BaseModel] = self.plan  # type: ignore[assignment]
        return model.model_validate(stored)  # type: ignore[return-value]

    @staticmethod
    def dump_plan(plan: P) -> dict[str, Any]:
        """The plan as stored: a model's JSON, or a copy of a plain dict."""
        if isinstance(plan, BaseModel):
            return plan.model_dump(mode="json")
        return dict(cast(dict[str, Any], plan))
