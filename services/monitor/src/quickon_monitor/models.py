"""The monitor's tables: alert rules, alerts (active and history), silences, the hits behaviour rules count,
the namespaces each team owns (to scope a team's rules).

JSON columns are replaced, never changed in place: SQLAlchemy only notices a new value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel


def _when(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class RuleRecord(SQLModel, table=True):
    """One alert rule: its spec (a template and parameters, or raw PromQL) and whose it is."""

    __tablename__ = "monitor_rule"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    team: str | None = Field(default=None, max_length=128)  # None: the platform's
    kind: str = Field(max_length=16)  # prometheus or behaviour
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # a RuleSpec
    enabled: bool = True
    builtin: bool = False
    last_error: str | None = None
    created_by: str | None = Field(default=None, max_length=255)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # Deleted rules are kept (disabled) for the alerts of the history that name them.
    deleted_at: datetime | None = _when()


class AlertRecord(SQLModel, table=True):
    """One alert: one rule's label set from the time it became pending to its resolution (then history)."""

    __tablename__ = "monitor_alert"
    __table_args__ = (Index("ix_monitor_alert_state", "state"), Index("ix_monitor_alert_fingerprint", "fingerprint"))

    id: str = Field(primary_key=True, max_length=64)
    fingerprint: str = Field(max_length=64)
    rule_id: str | None = Field(default=None, max_length=64)
    rule: str = Field(max_length=255)
    team: str | None = Field(default=None, max_length=128)
    origin: str = Field(max_length=16)  # prometheus, behaviour, alertmanager
    state: str = Field(max_length=16)  # pending, firing, resolved
    severity: str = Field(max_length=16)
    labels: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    summary: str = ""
    value: float | None = None
    service: str | None = Field(default=None, max_length=63)
    namespace: str | None = Field(default=None, max_length=63)
    silenced: bool = False
    announced: bool = False  # AlertFired was published (a silenced alert's is held back)
    active_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_true_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    fired_at: datetime | None = _when()
    resolved_at: datetime | None = _when()
    hold_until: datetime | None = _when()  # a behaviour alert resolves when this passes quietly
    acknowledged_by: str | None = Field(default=None, max_length=255)
    acknowledged_at: datetime | None = _when()


class SilenceRecord(SQLModel, table=True):
    """Alerts matching every matcher stay unannounced between two times."""

    __tablename__ = "monitor_silence"

    id: str = Field(primary_key=True, max_length=64)
    team: str | None = Field(default=None, max_length=128)
    matchers: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ends_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    comment: str = ""
    created_by: str | None = Field(default=None, max_length=255)


class HitRecord(SQLModel, table=True):
    """One event a behaviour rule counts (a failed login of a user, a failed backup of a service)."""

    __tablename__ = "monitor_hit"
    __table_args__ = (Index("ix_monitor_hit_key", "rule_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=64)
    key: str = Field(max_length=255)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class TeamNamespaceRecord(SQLModel, table=True):
    """Which team owns a namespace (from the iam events): a team's rules see only its namespaces."""

    __tablename__ = "monitor_team_namespace"

    namespace: str = Field(primary_key=True, max_length=63)
    team: str = Field(max_length=128)
