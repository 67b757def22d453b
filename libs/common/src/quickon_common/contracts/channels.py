"""Monitor context, notification channels: where the monitor sends alerts and platform events.

A channel belongs to a team (the request's envelope names it) or to the platform (no team). Its
address and secrets (a webhook's URL and signing secret, an SMTP password) travel only sealed under
the platform key (``sealed_target``); what may be shown travels beside it in clear (``url_hint``:
scheme and host only).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import secret
from .common import Failure, OperationEvent, Success

ChannelKind = Literal["webhook", "slack", "dingtalk", "wecom", "feishu", "email"]
Language = Literal["en", "zh"]
Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("warning", "critical")  # a channel's default: info alerts stay in the console
# What a channel may ask for: alerts firing and resolving, and the outcome of installs, upgrades and backups.
Topic = Literal[
    "alert.fired", "alert.resolved",
    "install.succeeded", "install.failed", "upgrade.succeeded", "upgrade.failed",
    "backup.succeeded", "backup.failed",
]  # fmt: skip
TOPICS: tuple[Topic, ...] = (
    "alert.fired", "alert.resolved", "install.succeeded", "install.failed", "upgrade.succeeded", "upgrade.failed",
    "backup.succeeded", "backup.failed",
)  # fmt: skip


class EmailTarget(BaseModel):
    """An SMTP server and who gets the mail (the password, if any, is sealed with the channel's target)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(min_length=1, max_length=253)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS before sending")
    username: str | None = Field(default=None, max_length=256)
    sender: str = Field(min_length=3, max_length=254, description="the From address")
    recipients: list[str] = Field(min_length=1, max_length=50)


class ChannelDefinition(BaseModel):
    """What a channel is, in clear: everything but its address and secrets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=63)
    kind: ChannelKind
    language: Language = "en"
    topics: list[Topic] = Field(default_factory=lambda: list(TOPICS))
    severities: list[Severity] = Field(default_factory=lambda: list(SEVERITIES))
    email: EmailTarget | None = None
    url_hint: str | None = Field(default=None, description="the URL's scheme and host, for display")
    enabled: bool = True


class ChannelEvent(OperationEvent):
    """An event about one notification channel."""

    channel_id: str


class NotificationChannelSaveRequested(ChannelEvent):
    """Create the channel, or replace its definition; ``sealed_target`` None on a replacement keeps the
    address and secrets it had."""

    subject = "qc.monitor.channel.save_requested"
    definition: ChannelDefinition
    sealed_target: str | None = secret(default=None)
    create: bool = True


class NotificationChannelSaved(ChannelEvent, Success):
    subject = "qc.monitor.channel.saved"
    name: str
    kind: ChannelKind


class NotificationChannelSaveFailed(ChannelEvent, Failure):
    subject = "qc.monitor.channel.save_failed"


class NotificationChannelDeleteRequested(ChannelEvent):
    subject = "qc.monitor.channel.delete_requested"


class NotificationChannelDeleted(ChannelEvent, Success):
    subject = "qc.monitor.channel.deleted"


class NotificationChannelDeleteFailed(ChannelEvent, Failure):
    subject = "qc.monitor.channel.delete_failed"
