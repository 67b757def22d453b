"""The monitor's notification channel queries (``qc.query.monitor.<name>``): channels, one channel, its
delivery log, and a test message sent while the asker waits."""

from __future__ import annotations

from pydantic import Field

from ..channels import ChannelDefinition
from .base import Caller, QueryReply, QueryRequest, query

CHANNEL_ID = r"^[a-z0-9][a-z0-9-]*$"


class ChannelsRequest(QueryRequest):
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class ChannelRequest(QueryRequest):
    channel_id: str = Field(pattern=CHANNEL_ID, min_length=1, max_length=64)
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class DeliveriesRequest(ChannelRequest):
    limit: int = Field(default=50, ge=1, le=500)


class Channel(QueryReply):
    """A channel as shown: its definition, never its address's secrets."""

    channel_id: str
    team: str | None = None
    definition: ChannelDefinition
    failing: bool = Field(default=False, description="its last delivery failed after every try")
    created_at: str | None = None
    updated_at: str | None = None


class ChannelList(QueryReply):
    channels: list[Channel]


class Attempt(QueryReply):
    number: int
    at: str
    ok: bool
    status: int | None = Field(default=None, description="the receiver's HTTP status or SMTP reply code")
    detail: str = Field(description="what the receiver said, or why it could not be reached")


class Delivery(QueryReply):
    delivery_id: str
    event_id: str
    event_type: str
    state: str = Field(description="pending, delivered or failed")
    tries: int
    created_at: str
    finished_at: str | None = None
    attempts: list[Attempt] = []


class Deliveries(QueryReply):
    channel_id: str
    deliveries: list[Delivery]


class ChannelTestResult(QueryReply):
    ok: bool
    status: int | None = None
    detail: str = Field(description="what the receiver answered, or why it could not be reached")


CHANNELS = query("monitor", "channels", ChannelsRequest, ChannelList, "The notification channels the caller sees")
CHANNEL = query("monitor", "channel", ChannelRequest, Channel, "One notification channel")
DELIVERIES = query("monitor", "deliveries", DeliveriesRequest, Deliveries, "A channel's delivery log, newest first")
TEST_CHANNEL = query(
    "monitor", "test_channel", ChannelRequest, ChannelTestResult, "Send a test message now and say how it went"
)
