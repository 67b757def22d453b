"""Alert rules, alerts and silences (monitor service), and Alertmanager's webhook.

Writes are requests the monitor carries out (``202`` with an operation); reads are its queries. A rule or a
silence belongs to a team (its admins manage its rules, its operators its silences) or, with no team, to
the platform (platform admins). ``POST /alerts/alertmanager`` takes an Alertmanager webhook's JSON, so an
existing Prometheus/Alertmanager's alerts become QuickOn's alert events (point its webhook_config there
with a platform admin's API token as bearer).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from quickon_common.contracts.common import OperationEvent
from quickon_common.contracts.monitor import (
    AlertAcknowledgeRequested,
    AlertRuleRequested,
    ExternalAlert,
    ExternalAlertsRequested,
    Matcher,
    RuleSpec,
    SilenceRequested,
)
from quickon_common.contracts.queries.monitor import (
    ALERT,
    ALERT_RULE,
    ALERT_RULES,
    ALERTS,
    SILENCE,
    SILENCES,
    Alert,
    AlertList,
    AlertsRequest,
    Rule,
    RuleList,
    RulesRequest,
    Silence,
    SilenceList,
    SilencesRequest,
)

from ..auth import AdminUser, CurrentUser
from ..deps import GatewayParts, Parts
from ..operations import ACCEPTED, OperationView, Target, submit
from ..principal import Principal
from ..problems import Problem
from ..teams.access import TEAM_NAME, check, require_owned
from ..teams.roles import Role
from .params import Strict

router = APIRouter(prefix="/api/v1", tags=["alerts"])
ID = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
TeamName = Annotated[
    str | None, Field(default=None, pattern=TEAM_NAME, max_length=63, description="none: the platform's")
]


class RuleBody(RuleSpec):
    """A rule to create: its spec and whose it is."""

    team: TeamName = None


class SilenceBody(Strict):
    matchers: list[Matcher] = Field(min_length=1, max_length=20)
    starts_at: datetime | None = Field(default=None, description="ISO 8601 with a zone; none: now")
    ends_at: datetime = Field(description="ISO 8601 with a zone, after starts_at, within a year of it")
    comment: str = Field(default="", max_length=500)
    team: TeamName = None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _zoned(cls, moment: datetime | None) -> datetime | None:
        if moment is not None and moment.tzinfo is None:
            raise ValueError("give the time zone too (e.g. 2026-12-24T18:00:00+01:00 or …Z)")
        return moment

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, ends: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts_at") or datetime.now(UTC)
        if not starts < ends <= starts + timedelta(days=366):
            raise ValueError("must be after starts_at (or now) and at most a year after it")
        return ends


class AcknowledgeBody(Strict):
    note: str = Field(default="", max_length=500)


class AlertmanagerAlert(BaseModel):
    """One item of Alertmanager's webhook ``alerts`` (its other fields are ignored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, Annotated[str, Field(max_length=1000)]] = Field(max_length=64)
    annotations: dict[str, Annotated[str, Field(max_length=4000)]] = Field(default_factory=dict, max_length=64)
    starts_at: str | None = Field(default=None, alias="startsAt", max_length=64)
    ends_at: str | None = Field(default=None, alias="endsAt", max_length=64)
    fingerprint: str | None = Field(default=None, max_length=64)


class AlertmanagerWebhook(BaseModel):
    """Alertmanager's webhook body (version 4)."""

    model_config = ConfigDict(extra="ignore")

    version: str = Field(default="4", max_length=8)
    receiver: str = Field(default="", max_length=255)
    status: Literal["firing", "resolved"]
    alerts: list[AlertmanagerAlert] = Field(min_length=1, max_length=1000)


async def _team_of(parts: Parts, user: Principal, team: str | None, role: Role, what: str) -> str | None:
    teams = await parts.directory.teams()
    found = None
    if team is not None:
        found = teams.find(team)
        if found is None:
            raise Problem(404, f"there is no team {team!r}; list them with GET /api/v1/teams (qc team list)")
    check(user, role, found, teams, what)
    return found


async def _command(parts: Parts, user: Principal, response: Response, kind: str, event: OperationEvent,
                   team: str | None, subject: str) -> OperationView:  # fmt: skip
    return await submit(parts, user, response, kind=kind, event=event, target=Target(), subject=subject, team=team)


def _owned(role: Role, contract: Any, key: str, what: str) -> Any:
    return require_owned(role, contract, key=key, pattern=ID, what=what)


RuleViewer = Annotated[tuple[Principal, Rule], _owned("viewer", ALERT_RULE, "rule_id", "alert rule")]
RuleAdmin = Annotated[tuple[Principal, Rule], _owned("admin", ALERT_RULE, "rule_id", "alert rule")]
AlertViewer = Annotated[tuple[Principal, Alert], _owned("viewer", ALERT, "alert_id", "alert")]
AlertOperator = Annotated[tuple[Principal, Alert], _owned("operator", ALERT, "alert_id", "alert")]
SilenceOperator = Annotated[tuple[Principal, Silence], _owned("operator", SILENCE, "silence_id", "silence")]


@router.get(
    "/alert-rules", response_model=RuleList, summary="The alert rules you may see (your teams' and the platform's)"
)
async def list_rules(parts: GatewayParts, user: CurrentUser) -> RuleList:
    return await parts.reads.ask(ALERT_RULES, RulesRequest(caller=user.caller()))


@router.post("/alert-rules", status_code=202, response_model=OperationView, responses=ACCEPTED,
             summary="Create an alert rule: a template with parameters, or raw PromQL (result: its id)")  # fmt: skip
async def create_rule(parts: GatewayParts, user: CurrentUser, body: RuleBody, response: Response) -> OperationView:
    team = await _team_of(parts, user, body.team, "admin", "the alert rules")
    rule_id = uuid.uuid4().hex[:16]
    spec = RuleSpec.model_validate(body.model_dump(exclude={"team"}))
    event = AlertRuleRequested(action="create", rule_id=rule_id, spec=spec)
    view = await _command(parts, user, response, "create_rule", event, team, f"alert-rules/{rule_id}")
    return view.model_copy(update={"result": {"rule_id": rule_id}})


@router.get("/alert-rules/{rule_id}", response_model=Rule, summary="One alert rule, with the PromQL it evaluates")
async def get_rule(access: RuleViewer) -> Rule:
    return access[1]


@router.put("/alert-rules/{rule_id}", status_code=202, response_model=OperationView, responses=ACCEPTED,
            summary="Replace an alert rule's spec (enabled: false turns it off)")  # fmt: skip
async def replace_rule(parts: GatewayParts, access: RuleAdmin, body: RuleSpec, response: Response) -> OperationView:
    user, rule = access
    event = AlertRuleRequested(action="update", rule_id=rule.rule_id, spec=body)
    return await _command(parts, user, response, "update_rule", event, rule.team, f"alert-rules/{rule.rule_id}")


@router.delete("/alert-rules/{rule_id}", status_code=202, response_model=OperationView, responses=ACCEPTED,
               summary="Delete an alert rule (its alerts resolve)")  # fmt: skip
async def delete_rule(parts: GatewayParts, access: RuleAdmin, response: Response) -> OperationView:
    user, rule = access
    event = AlertRuleRequested(action="delete", rule_id=rule.rule_id)
    return await _command(parts, user, response, "delete_rule", event, rule.team, f"alert-rules/{rule.rule_id}")


@router.get(
    "/alerts", response_model=AlertList, summary="Alerts you may see: active (pending and firing), or the history"
)
async def list_alerts(
    parts: GatewayParts, user: CurrentUser,
    state: Annotated[Literal["active", "firing", "pending", "resolved", "all"], Query()] = "active",
    service: Annotated[str | None, Query(max_length=63)] = None,
    severity: Annotated[Literal["info", "warning", "critical"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AlertList:  # fmt: skip
    body = AlertsRequest(state=state, service=service, severity=severity, limit=limit, caller=user.caller())
    return await parts.reads.ask(ALERTS, body)


@router.get("/alerts/{alert_id}", response_model=Alert, summary="One alert")
async def get_alert(access: AlertViewer) -> Alert:
    return access[1]


@router.post("/alerts/{alert_id}/acknowledge", status_code=202, response_model=OperationView, responses=ACCEPTED,
             summary="Say that you have seen an alert (its notifications name who did)")  # fmt: skip
async def acknowledge_alert(
    parts: GatewayParts, access: AlertOperator, body: AcknowledgeBody, response: Response
) -> OperationView:
    user, alert = access
    event = AlertAcknowledgeRequested(alert_id=alert.alert_id, note=body.note)
    return await _command(parts, user, response, "acknowledge_alert", event, alert.team, f"alerts/{alert.alert_id}")


@router.post("/alerts/alertmanager", status_code=202, response_model=OperationView, responses=ACCEPTED,
             summary="Alertmanager's webhook: its alerts become QuickOn's (AlertFired / AlertResolved)")  # fmt: skip
async def alertmanager(
    parts: GatewayParts, user: AdminUser, body: AlertmanagerWebhook, response: Response
) -> OperationView:
    alerts = [ExternalAlert(status=a.status, labels=a.labels, annotations=a.annotations, starts_at=a.starts_at,
                            ends_at=a.ends_at, fingerprint=a.fingerprint) for a in body.alerts]  # fmt: skip
    event = ExternalAlertsRequested(receiver=body.receiver, alerts=alerts)
    return await _command(parts, user, response, "external_alerts", event, None, "alerts/alertmanager")


@router.get("/silences", response_model=SilenceList, summary="Silences you may see")
async def list_silences(
    parts: GatewayParts, user: CurrentUser, include_expired: Annotated[bool, Query()] = False
) -> SilenceList:
    return await parts.reads.ask(SILENCES, SilencesRequest(include_expired=include_expired, caller=user.caller()))


@router.post("/silences", status_code=202, response_model=OperationView, responses=ACCEPTED,
             summary="Silence the alerts matching every matcher until ends_at (result: its id)")  # fmt: skip
async def create_silence(
    parts: GatewayParts, user: CurrentUser, body: SilenceBody, response: Response
) -> OperationView:
    team = await _team_of(parts, user, body.team, "operator", "the silences")
    silence_id = uuid.uuid4().hex[:16]
    starts = body.starts_at.isoformat() if body.starts_at else None
    event = SilenceRequested(silence_id=silence_id, matchers=body.matchers, starts_at=starts,
                             ends_at=body.ends_at.isoformat(), comment=body.comment)  # fmt: skip
    view = await _command(parts, user, response, "create_silence", event, team, f"silences/{silence_id}")
    return view.model_copy(update={"result": {"silence_id": silence_id}})


@router.delete("/silences/{silence_id}", status_code=202, response_model=OperationView, responses=ACCEPTED,
               summary="Expire a silence now")  # fmt: skip
async def expire_silence(parts: GatewayParts, access: SilenceOperator, response: Response) -> OperationView:
    user, silence = access
    event = SilenceRequested(silence_id=silence.silence_id, expire=True)
    return await _command(
        parts, user, response, "expire_silence", event, silence.team, f"silences/{silence.silence_id}"
    )
