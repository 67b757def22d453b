"""Which events a channel gets, what is kept of each to write its message, and when a try comes again.

Pure rules: no I/O. A channel belongs to a team (or to the platform: no team) and gets only that team's
events, of the topics it chose, alerts only of the severities it chose.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from quickon_common.contracts import Event
from quickon_common.contracts.backup import BackupCompleted, BackupFailed
from quickon_common.contracts.channels import ChannelDefinition, Topic
from quickon_common.contracts.common import Failure
from quickon_common.contracts.deploy import AppInstalled, AppInstallFailed, AppUpgraded, AppUpgradeFailed
from quickon_common.contracts.monitor import AlertEvent, AlertFired, AlertResolved
from quickon_common.envelope import Envelope

# The component alert a channel whose delivery failed raises; never sent to the channel it is about.
CHANNEL_FAILING_RULE = "notification-channel-failing"

TOPICS_OF: dict[type[Event], Topic] = {
    AlertFired: "alert.fired",
    AlertResolved: "alert.resolved",
    AppInstalled: "install.succeeded",
    AppInstallFailed: "install.failed",
    AppUpgraded: "upgrade.succeeded",
    AppUpgradeFailed: "upgrade.failed",
    BackupCompleted: "backup.succeeded",
    BackupFailed: "backup.failed",
}


class Notice(BaseModel):
    """What a message is made from: the event's facts, kept with the delivery (no secret among them)."""

    model_config = ConfigDict(frozen=True)

    topic: str
    event_id: str
    event_type: str
    time: datetime
    team: str | None = None
    service: str | None = None
    namespace: str | None = None
    severity: str | None = None
    rule: str | None = None
    alert_id: str | None = None
    summary: str | None = None
    reason: str | None = None
    version: str | None = None
    backup_id: str | None = None


def notice_of(event: Event, envelope: Envelope) -> Notice | None:
    """The notice of ``event``, or None when no channel can ask for it."""
    topic = TOPICS_OF.get(type(event))
    if topic is None:
        return None
    fields = {
        "topic": topic, "event_id": envelope.id, "event_type": envelope.type, "time": envelope.time,
        "team": envelope.team, "service": getattr(event, "service", None),
        "namespace": getattr(event, "namespace", None),
    }  # fmt: skip
    if isinstance(event, AlertEvent):
        fields.update(severity=event.severity, rule=event.rule, alert_id=event.alert_id,
                      summary=getattr(event, "summary", None))  # fmt: skip
    if isinstance(event, Failure):
        fields["reason"] = event.reason
    fields["version"] = getattr(event, "version", None) or getattr(event, "to_version", None)
    fields["backup_id"] = getattr(event, "backup_id", None)
    return Notice.model_validate(fields)


def wants(definition: ChannelDefinition, *, channel_id: str, channel_team: str | None, notice: Notice) -> bool:
    """Whether the channel gets ``notice``: its team's, a topic it chose, an alert of a severity it chose.
    A channel never gets the alert its own failure raised: it would fail again and raise it again."""
    if not definition.enabled or notice.topic not in definition.topics or notice.team != channel_team:
        return False
    if notice.topic.startswith("alert.") and notice.severity not in definition.severities:
        return False
    return not (notice.rule == CHANNEL_FAILING_RULE and notice.alert_id == failing_alert_id(channel_id))


def failing_alert_id(channel_id: str) -> str:
    """The id of the component alert a failing channel raises (one per channel, fired and resolved)."""
    return f"{CHANNEL_FAILING_RULE}:{channel_id}"


def backoff_s(*, tries: int, first_s: float, max_s: float) -> float:
    """The wait after the ``tries``-th failed try: ``first_s`` doubled after each, at most ``max_s``."""
    return float(min(max_s, first_s * 2 ** max(0, tries - 1)))
