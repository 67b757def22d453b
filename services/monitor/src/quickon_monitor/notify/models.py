"""The monitor's notification tables: channels, the deliveries owed to each, and every attempt made.

A delivery is recorded in the same transaction as the inbox claim of the event it carries, so nothing
is lost across a restart; the delivery worker sends it later, never while an event is being applied.
JSON columns are replaced, never changed in place: SQLAlchemy only notices a new value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class ChannelRecord(SQLModel, table=True):
    """A notification channel: its definition in clear, its address and secrets sealed."""

    __tablename__ = "monitor_channel"

    id: str = Field(primary_key=True, max_length=64)
    team: str | None = Field(default=None, max_length=128, index=True)
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sealed_target: str
    failing: bool = False  # its last delivery failed after every try: the component alert is firing
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DeliveryRecord(SQLModel, table=True):
    """One event owed to one channel: pending until sent, then delivered or failed."""

    __tablename__ = "monitor_delivery"
    __table_args__ = (
        UniqueConstraint("channel_id", "event_id", name="uq_monitor_delivery_event"),
        Index("ix_monitor_delivery_due", "state", "next_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    channel_id: str = Field(max_length=64, index=True)
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=255)
    notice: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # what the message is made from
    state: str = Field(max_length=16)  # pending, delivered, failed
    tries: int = 0
    next_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class AttemptRecord(SQLModel, table=True):
    """One try of a delivery and what the receiver said (the delivery log)."""

    __tablename__ = "monitor_delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(max_length=64, index=True)
    number: int
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ok: bool
    status: int | None = None
    detail: str = Field(max_length=1000)
