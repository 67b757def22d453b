"""Notification channels (monitor service): add, change, remove (operations), list, read, test, and each
one's delivery log.

A team's admins manage their team's channels, platform admins the platform's (``team`` omitted); the
team's members may read them. The address and secrets (a webhook's URL and signing secret, an SMTP
password) are sealed here under the platform key and never shown again: a channel's view has the URL's
scheme and host only. A URL that reaches a non-public address is refused unless the platform allows it
(``QC_NOTIFY_ALLOWED_HOSTS``; see :mod:`quickon_common.egress`); the monitor checks again when it sends.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Query, Response
from pydantic import Field

from quickon_common.contracts.channels import (
    SEVERITIES,
    TOPICS,
    ChannelDefinition,
    ChannelKind,
    EmailTarget,
    Language,
    NotificationChannelDeleteRequested,
    NotificationChannelSaveRequested,
    Severity,
    Topic,
)
from quickon_common.contracts.queries.channels import (
    CHANNEL,
    CHANNEL_ID,
    CHANNELS,
    DELIVERIES,
    TEST_CHANNEL,
    Channel,
    ChannelList,
    ChannelRequest,
    ChannelsRequest,
    ChannelTestResult,
    Deliveries,
    DeliveriesRequest,
)
from quickon_common.egress import Allowance, refusal

from ..auth import CurrentUser
from ..deps import GatewayParts, Parts
from ..operations import ACCEPTED, OperationView, Target, submit
from ..principal import Principal
from ..problems import Problem
from ..teams.access import check, require_owned
from ..teams.roles import Role
from .params import DNS_LABEL, Strict

router = APIRouter(prefix="/api/v1/notification-channels", tags=["notifications"])
TEST_TIMEOUT_S = 45.0  # the monitor waits for the receiver (10 s by default) before it answers
URL_KINDS = ("webhook", "slack", "dingtalk", "wecom", "feishu")


class ChannelBody(Strict):
    """A channel's definition, and its address and secrets (sealed at once, never shown again)."""

    name: str = Field(min_length=1, max_length=63, description="a name of your choice")
    kind: ChannelKind
    language: Language = Field(default="en", description="the messages' language: en or zh")
    topics: list[Topic] = Field(default_factory=lambda: list(TOPICS), max_length=len(TOPICS),
                                description="the events it gets: alert.fired, install.failed…")  # fmt: skip
    severities: list[Severity] = Field(default_factory=lambda: list(SEVERITIES), max_length=3,
                                       description="the alerts' severities it gets")  # fmt: skip
    enabled: bool = True
    url: str | None = Field(default=None, max_length=2048, description="the webhook's or bot's http(s) URL")
    secret: str | None = Field(default=None, min_length=1, max_length=512,
                               description="the signing secret (webhook HMAC, DingTalk and Feishu sign)")  # fmt: skip
    email: EmailTarget | None = Field(default=None, description="the SMTP server and recipients (kind email)")
    password: str | None = Field(default=None, max_length=512, description="the SMTP password")

    def target(self) -> dict[str, Any] | None:
        """The address and secrets to seal; None when none were given (a change keeps the old ones)."""
        given = {k: v for k, v in (("url", self.url), ("secret", self.secret), ("password", self.password)) if v}
        return given or None


class NewChannel(ChannelBody):
    team: str | None = Field(
        default=None, pattern=DNS_LABEL, max_length=63,
        description="the team whose events it gets; none: the platform's (platform admins)",
    )  # fmt: skip


def _url_hint(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc.rsplit('@', 1)[-1]}"


def _checked(parts: Parts, body: ChannelBody, *, creating: bool) -> ChannelDefinition:
    """The definition to publish, after the address checks (422 naming the field)."""
    allowance = Allowance.of(parts.service.settings.notify_allowed_hosts)

    def refuse(field: str, message: str) -> Problem:
        return Problem(422, f"{field.removeprefix('body.')}: {message}", errors=[{"field": field, "message": message}])

    hint = None
    if body.kind == "email" and body.url is not None:
        raise refuse("body.url", "an email channel has no url; give email: {host, port, sender, recipients}")
    if body.kind in URL_KINDS and body.email is not None:
        raise refuse("body.email", f"a {body.kind} channel has no SMTP server; give its url")
    if body.kind in URL_KINDS and body.password is not None:
        raise refuse("body.password", f"a {body.kind} channel has no password; a signing secret goes in secret")
    if body.kind in ("slack", "wecom") and body.secret is not None:
        raise refuse("body.secret", f"a {body.kind} webhook has no signing secret: its key is in its URL")
    if body.kind == "email":
        if body.email is None and creating:
            raise refuse("body.email", "an email channel needs its SMTP server: {host, port, sender, recipients}")
        if body.email is not None and (why := refusal(body.email.host, allowance)):
            raise refuse("body.email.host", f"{why}; the platform does not send there (QC_NOTIFY_ALLOWED_HOSTS)")
    elif body.url is not None:
        parsed = urlparse(body.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise refuse("body.url", "give an http(s) URL, e.g. https://hooks.example.com/quickon")
        if parsed.username or parsed.password:
            raise refuse("body.url", "no user or password in the URL; a webhook signs with its secret instead")
        if why := refusal(parsed.hostname, allowance):
            raise refuse("body.url", f"{why}; the platform does not send there (QC_NOTIFY_ALLOWED_HOSTS)")
        hint = _url_hint(body.url)
    elif creating:
        raise refuse("body.url", f"a {body.kind} channel needs its URL")
    return ChannelDefinition(
        name=body.name, kind=body.kind, language=body.language, topics=body.topics, severities=body.severities,
        email=body.email, url_hint=hint, enabled=body.enabled,
    )  # fmt: skip


def _channel_access(role: Role) -> Any:
    return require_owned(role, CHANNEL, key="channel_id", pattern=CHANNEL_ID, what="notification channel")


ChannelViewer = Annotated[tuple[Principal, Channel], _channel_access("viewer")]
ChannelAdmin = Annotated[tuple[Principal, Channel], _channel_access("admin")]


async def _save(
    parts: Parts, user: Principal, response: Response, *, kind: str, channel_id: str, team: str | None,
    definition: ChannelDefinition, body: ChannelBody, create: bool,
) -> OperationView:  # fmt: skip
    target = body.target()
    sealed = parts.sealer.seal(target) if target else None
    event = NotificationChannelSaveRequested(channel_id=channel_id, definition=definition, sealed_target=sealed,
                                             create=create)  # fmt: skip
    return await submit(
        parts, user, response, kind=kind, event=event, target=Target(), subject=f"notification-channels/{channel_id}",
        team=team, result={"channel_id": channel_id},
    )  # fmt: skip


@router.get("", response_model=ChannelList, summary="The notification channels of your teams (all, for admins)")
async def list_channels(parts: GatewayParts, user: CurrentUser) -> ChannelList:
    return await parts.reads.ask(CHANNELS, ChannelsRequest(caller=user.caller()))


@router.post(
    "", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Add a notification channel (a team's admins; the platform's: platform admins)",
)  # fmt: skip
async def add_channel(parts: GatewayParts, user: CurrentUser, body: NewChannel, response: Response) -> OperationView:
    teams = await parts.directory.teams()
    team = None
    if body.team is not None and (team := teams.find(body.team)) is None:
        raise Problem(404, f"there is no team {body.team!r}; list them with GET /api/v1/teams",
                      errors=[{"field": "body.team", "message": "no such team"}])  # fmt: skip
    check(user, "admin", team, teams, "the channel")
    definition = _checked(parts, body, creating=True)
    return await _save(parts, user, response, kind="create_channel", channel_id=f"ch-{secrets.token_hex(6)}",
                       team=team, definition=definition, body=body, create=True)  # fmt: skip


@router.get("/{channel_id}", response_model=Channel, summary="One notification channel (never its secrets)")
async def get_channel(access: ChannelViewer) -> Channel:
    return access[1]


@router.put(
    "/{channel_id}", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Replace a channel's definition (url, secret and password omitted together: kept as they are)",
)  # fmt: skip
async def change_channel(
    parts: GatewayParts, access: ChannelAdmin, body: ChannelBody, response: Response
) -> OperationView:
    user, found = access
    if body.kind != found.definition.kind and body.target() is None:
        message = "give the url (or email) of the new kind"
        raise Problem(422, "kind: a channel that changes kind needs its new address",
                      errors=[{"field": "body.kind", "message": message}])  # fmt: skip
    if body.kind != "email" and body.target() is not None and body.url is None:
        message = "a new secret comes with the url it signs for: give both (or neither, to keep them)"
        raise Problem(422, f"url: {message}", errors=[{"field": "body.url", "message": message}])
    definition = _checked(parts, body, creating=False)
    if definition.url_hint is None and body.kind != "email":
        definition = definition.model_copy(update={"url_hint": found.definition.url_hint})
    return await _save(parts, user, response, kind="update_channel", channel_id=found.channel_id, team=found.team,
                       definition=definition, body=body, create=False)  # fmt: skip


@router.delete(
    "/{channel_id}", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Remove a notification channel (what it still owed is not sent)",
)  # fmt: skip
async def delete_channel(parts: GatewayParts, access: ChannelAdmin, response: Response) -> OperationView:
    user, found = access
    event = NotificationChannelDeleteRequested(channel_id=found.channel_id)
    return await submit(
        parts, user, response, kind="delete_channel", event=event, target=Target(),
        subject=f"notification-channels/{found.channel_id}", team=found.team, result={"channel_id": found.channel_id},
    )  # fmt: skip


@router.post(
    "/{channel_id}/test", response_model=ChannelTestResult,
    summary="Send a test message now and answer what the receiver said (it goes in the delivery log)",
)  # fmt: skip
async def test_channel(parts: GatewayParts, access: ChannelAdmin) -> ChannelTestResult:
    user, found = access
    body = ChannelRequest(channel_id=found.channel_id, caller=user.caller())
    return await parts.reads.ask(TEST_CHANNEL, body, timeout_s=TEST_TIMEOUT_S)


@router.get("/{channel_id}/deliveries", response_model=Deliveries, summary="A channel's delivery log, newest first")
async def channel_deliveries(
    parts: GatewayParts, access: ChannelViewer,
    limit: Annotated[int, Query(ge=1, le=500, description="how many deliveries, newest first")] = 50,
) -> Deliveries:  # fmt: skip
    user, found = access
    body = DeliveriesRequest(channel_id=found.channel_id, caller=user.caller(), limit=limit)
    return await parts.reads.ask(DELIVERIES, body)
