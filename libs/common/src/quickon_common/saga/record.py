"""The columns every saga's table shares, and the request's envelope kept with them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlmodel import Field, SQLModel

from ..envelope import Envelope
from ..telemetry import trace_carrier

RUNNING_STATES = ("running", "compensating")
ENDED_STATES = ("completed", "failed")


class SagaRecord(SQLModel):
    """A saga's row: its kind, state, step log, plan, deadline and cause (a table declares ``id`` and
    what else it needs; these columns have the same names and types in every service)."""

    id: str = Field(primary_key=True, max_length=80)
    kind: str = Field(max_length=16)
    state: str = Field(max_length=16)  # running, compensating, completed, failed
    # The step a resumed run starts from: the last one on record with all that the steps before it
    # decided (a repeatable step that runs long is told in ``steps`` meanwhile, not here).
    step: str = Field(default="", max_length=32)
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # The plan model's JSON (what the request asked and the steps decided so far), with the engine's
    # own facts (failed_step, compensation_deadline, compensation_failed, asked) beside its fields.
    plan: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    error: str | None = None
    deadline: datetime = Field(sa_type=DateTime(timezone=True))
    # The request's envelope, so that the saga's events carry its correlation, actor and team.
    cause: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The replica running the saga, and until when it may without renewing: another replica takes a
    # running saga over once its lease has passed (see quickon_common.saga.runner).
    owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

    @property
    def current_step(self) -> str:
        """The step running now or last told, for people (a resumed run starts at ``step``)."""
        return str(self.steps[-1]["step"]) if self.steps else self.step


def cause_of(envelope: Envelope) -> dict[str, Any]:
    """The request's envelope as a saga keeps it (JSON), so that every event of the saga follows from it."""
    return {
        "id": envelope.id, "source": envelope.source, "type": envelope.type, "time": envelope.time.isoformat(),
        "correlation_id": envelope.correlation_id, "actor": envelope.actor, "team": envelope.team,
        **trace_carrier(),  # the request's trace, which the saga's steps and events continue
    }  # fmt: skip


def envelope_of(cause: dict[str, Any]) -> Envelope:
    """The envelope a saga's cause (see :func:`cause_of`) stands for."""
    return Envelope(
        id=cause["id"], source=cause["source"], type=cause["type"], time=datetime.fromisoformat(cause["time"]),
        correlation_id=cause["correlation_id"], actor=cause.get("actor"), team=cause.get("team"),
    )  # fmt: skip


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
