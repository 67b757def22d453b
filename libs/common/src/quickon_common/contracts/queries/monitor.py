"""The monitor service's queries (``qc.query.monitor.<name>``): alert rules, alerts (firing and history),
silences. Team-scoped: each request carries its caller, and a rule, alert or silence of no team (the
platform's) is seen by everyone."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import Caller, QueryReply, QueryRequest, query

CALLER = Field(default=None, description="who asks (set by the gateway); required")


class RulesRequest(QueryRequest):
    caller: Caller | None = CALLER


class RuleRequest(QueryRequest):
    rule_id: str = Field(min_length=1, max_length=64)
    caller: Caller | None = CALLER


class Rule(QueryReply):
    rule_id: str
    name: str
    team: str | None = None
    kind: str = Field(description="prometheus or behaviour")
    template: str | None = None
    params: dict[str, Any] = {}
    expr: str | None = None
    query: str | None = Field(default=None, description="the PromQL evaluated (a template's, rendered)")
    for_s: float = 0
    keep_firing_for_s: float = 0
    severity: str
    labels: dict[str, str] = {}
    summary: str = ""
    enabled: bool = True
    builtin: bool = False
    last_error: str | None = Field(default=None, description="why its last evaluation failed, if it did")
    updated_at: str | None = None
    deleted_at: str | None = Field(default=None, description="when it was deleted (kept for the alerts naming it)")


class RuleList(QueryReply):
    rules: list[Rule]


class AlertsRequest(QueryRequest):
    state: Literal["active", "firing", "pending", "resolved", "all"] = "active"
    service: str | None = Field(default=None, max_length=63)
    severity: str | None = Field(default=None, max_length=16)
    limit: int = Field(default=100, ge=1, le=1000)
    caller: Caller | None = CALLER


class AlertRequest(QueryRequest):
    alert_id: str = Field(min_length=1, max_length=64)
    caller: Caller | None = CALLER


class Alert(QueryReply):
    alert_id: str
    rule_id: str | None = None
    rule: str
    team: str | None = None
    origin: str
    state: str = Field(description="pending, firing or resolved")
    severity: str
    labels: dict[str, str] = {}
    summary: str = ""
    value: float | None = None
    service: str | None = None
    namespace: str | None = None
    silenced: bool = False
    active_at: str | None = None
    fired_at: str | None = None
    resolved_at: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None


class AlertList(QueryReply):
    alerts: list[Alert]


class SilencesRequest(QueryRequest):
    include_expired: bool = False
    caller: Caller | None = CALLER


class SilenceRequest(QueryRequest):
    silence_id: str = Field(min_length=1, max_length=64)
    caller: Caller | None = CALLER


class Silence(QueryReply):
    silence_id: str
    team: str | None = None
    matchers: list[dict[str, Any]]
    starts_at: str
    ends_at: str
    comment: str = ""
    created_by: str | None = None
    active: bool


class SilenceList(QueryReply):
    silences: list[Silence]


ALERT_RULES = query("monitor", "alert_rules", RulesRequest, RuleList, "Alert rules the caller may see")
ALERT_RULE = query("monitor", "alert_rule", RuleRequest, Rule, "One alert rule")
ALERTS = query("monitor", "alerts", AlertsRequest, AlertList, "Alerts: active ones, or the history")
ALERT = query("monitor", "alert", AlertRequest, Alert, "One alert")
SILENCES = query("monitor", "silences", SilencesRequest, SilenceList, "Silences")
SILENCE = query("monitor", "silence", SilenceRequest, Silence, "One silence")
