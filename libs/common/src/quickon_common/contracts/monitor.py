"""Monitor context: alert rules, silences, alerts raised and cleared (owned by the monitor service).

A rule is a template with parameters (:data:`TEMPLATES`, checked here so that the gateway refuses a bad one
with a 422 naming the parameter) or raw PromQL. Prometheus templates are evaluated on an interval against
Prometheus; behaviour templates over the event stream. Requests come from the gateway; the monitor answers
each with an outcome that ends the user's operation.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .base import Event
from .common import Failure, OperationEvent, Success

Severity = Literal["info", "warning", "critical"]
PARAM_NAME = re.compile(r"^[a-z_]+$")
LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
# What a summary may hold between {{ }}: Prometheus's $labels.<name> and $value (nothing that runs).
PLACEHOLDER = re.compile(r"\{\{\s*(\$value|\$labels\.[a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
ANY_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")


class Param(BaseModel):
    """One parameter of a template: its default and the bounds a value must keep."""

    model_config = ConfigDict(frozen=True)

    default: float | str
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""


# kind: "prometheus" (PromQL on an interval) or "behaviour" (over the event stream).
TEMPLATES: dict[str, tuple[Literal["prometheus", "behaviour"], dict[str, Param]]] = {
    "node_disk": ("prometheus", {"percent": Param(default=85, minimum=1, maximum=99, description="disk used, %")}),
    "service_not_ready": ("prometheus", {}),
    "restarts": ("prometheus", {
        "count": Param(default=3, minimum=1, maximum=10_000, description="restarts above this"),
        "window_s": Param(default=600, minimum=60, maximum=86_400, description="counted over this window"),
    }),
    "cpu_of_limit": ("prometheus", {"percent": Param(default=90, minimum=1, maximum=1000, description="% of limit")}),
    "component_down": ("prometheus", {
        "job_pattern": Param(default="quickon-.+", description="the platform services' scrape jobs (a regex)"),
    }),
    "certificate_expiring": ("prometheus", {"days": Param(default=14, minimum=1, maximum=365)}),
    "login_failures": ("behaviour", {
        "count": Param(default=5, minimum=2, maximum=10_000, description="failed logins of one user"),
        "window_s": Param(default=300, minimum=10, maximum=86_400),
    }),
    "uninstall_off_hours": ("behaviour", {
        "start_hour": Param(default=8, minimum=0, maximum=23, description="working hours start"),
        "end_hour": Param(default=19, minimum=1, maximum=24, description="working hours end"),
        "timezone": Param(default="UTC", description="an IANA time zone"),
    }),
    "dead_letter": ("behaviour", {}),
    "audit_verification_failed": ("behaviour", {}),
    "service_scan_worsened": ("behaviour", {}),
    "backup_failed": ("behaviour", {"count": Param(default=2, minimum=1, maximum=100, description="failed in a row")}),
}  # fmt: skip


class RuleSpec(BaseModel):
    """What a user says of a rule: a template and its parameters, or raw PromQL (``expr``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    template: str | None = Field(default=None, description="one of TEMPLATES; none: raw PromQL in expr")
    params: dict[str, float | str] = Field(default_factory=dict, max_length=20)
    expr: str | None = Field(default=None, min_length=1, max_length=4000, description="raw PromQL (experts)")
    for_s: float = Field(default=0, ge=0, le=7 * 86_400, description="true this long before it fires")
    keep_firing_for_s: float = Field(
        default=0, ge=0, le=86_400, description="stays firing this long after it stops being true (damps flapping)"
    )
    severity: Severity = "warning"
    labels: dict[str, str] = Field(default_factory=dict, max_length=20)
    summary: str = Field(default="", max_length=1000, description="may hold {{ $labels.x }} and {{ $value }}")
    enabled: bool = True

    @field_validator("template")
    @classmethod
    def _known_template(cls, template: str | None) -> str | None:
        if template is not None and template not in TEMPLATES:
            raise ValueError(f"unknown template {template!r}; the templates are {', '.join(sorted(TEMPLATES))}")
        return template

    @field_validator("labels")
    @classmethod
    def _label_names(cls, labels: dict[str, str]) -> dict[str, str]:
        for name, value in labels.items():
            if not re.match(LABEL_NAME, name) or len(name) > 100 or len(value) > 500:
                raise ValueError(f"label {name[:100]!r}: names are [a-zA-Z_][a-zA-Z0-9_]*, values at most 500 chars")
        return labels

    @field_validator("summary")
    @classmethod
    def _placeholders(cls, summary: str) -> str:
        for found in ANY_PLACEHOLDER.finditer(summary):
            if not PLACEHOLDER.fullmatch(found.group(0)):
                raise ValueError(
                    f"{found.group(0)!r} is not a placeholder; use {{{{ $labels.name }}}} or {{{{ $value }}}}"
                )
        return summary

    @model_validator(mode="after")
    def _template_or_expr(self) -> RuleSpec:
        if (self.template is None) == (self.expr is None):
            raise ValueError("give either template (with params) or expr (raw PromQL), not both nor neither")
        if self.expr is not None and self.params:
            raise ValueError("params: only a template takes params")
        if self.template is not None:
            declared = TEMPLATES[self.template][1]
            for name, value in self.params.items():
                param = declared.get(name)
                if param is None:
                    known = ", ".join(declared) or "none"
                    raise ValueError(f"params.{name}: {self.template} takes no such parameter (it takes {known})")
                if isinstance(param.default, str) != isinstance(value, str):
                    raise ValueError(
                        f"params.{name}: must be a {'string' if isinstance(param.default, str) else 'number'}"
                    )
                if isinstance(value, float | int) and (
                    (param.minimum is not None and value < param.minimum)
                    or (param.maximum is not None and value > param.maximum)
                ):
                    raise ValueError(
                        f"params.{name}: must be between {param.minimum:g} and {param.maximum:g}, not {value:g}"
                    )
        return self

    @property
    def kind(self) -> Literal["prometheus", "behaviour"]:
        """Where the rule is evaluated."""
        return "prometheus" if self.template is None else TEMPLATES[self.template][0]

    def param(self, name: str) -> float | str:
        """A parameter's value, or its template's default."""
        assert self.template is not None
        return self.params.get(name, TEMPLATES[self.template][1][name].default)


class Matcher(BaseModel):
    """One label matcher of a silence, as Alertmanager's: ``name`` equal (or regex-matching) ``value``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=LABEL_NAME, max_length=100)
    value: str = Field(max_length=500)
    is_regex: bool = False
    is_equal: bool = True


class ExternalAlert(BaseModel):
    """One alert of an Alertmanager webhook (its ``alerts`` items), as QuickOn keeps it."""

    model_config = ConfigDict(frozen=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    starts_at: str | None = None
    ends_at: str | None = None
    fingerprint: str | None = None


# -- requests (the gateway publishes them) and their outcomes ------------------------------------------------


class AlertRuleRequested(OperationEvent):
    """Create, replace or delete a rule; the envelope's team is the rule's (none: the platform's)."""

    subject = "qc.monitor.rule.requested"
    action: Literal["create", "update", "delete"]
    rule_id: str
    spec: RuleSpec | None = None


class AlertRuleSaved(OperationEvent, Success):
    subject = "qc.monitor.rule.saved"
    rule_id: str
    name: str


class AlertRuleDeleted(OperationEvent, Success):
    subject = "qc.monitor.rule.deleted"
    rule_id: str


class AlertRuleFailed(OperationEvent, Failure):
    subject = "qc.monitor.rule.failed"
    rule_id: str


class SilenceRequested(OperationEvent):
    """Silence the alerts matching every matcher between two times, or expire a silence (``expire``)."""

    subject = "qc.monitor.silence.requested"
    silence_id: str
    expire: bool = False
    matchers: list[Matcher] = []
    starts_at: str | None = None
    ends_at: str | None = None
    comment: str = ""


class SilenceSet(OperationEvent, Success):
    subject = "qc.monitor.silence.set"
    silence_id: str


class SilenceExpired(OperationEvent, Success):
    subject = "qc.monitor.silence.expired"
    silence_id: str


class SilenceFailed(OperationEvent, Failure):
    subject = "qc.monitor.silence.failed"
    silence_id: str


class AlertAcknowledgeRequested(OperationEvent):
    subject = "qc.monitor.alert.acknowledge_requested"
    alert_id: str
    note: str = ""


class AlertAcknowledged(OperationEvent, Success):
    subject = "qc.monitor.alert.acknowledged"
    alert_id: str
    by: str | None = None


class AlertAcknowledgeFailed(OperationEvent, Failure):
    subject = "qc.monitor.alert.acknowledge_failed"
    alert_id: str


class ExternalAlertsRequested(OperationEvent):
    """Alerts an outside Alertmanager sent to the gateway's webhook, to become QuickOn's alert events."""

    subject = "qc.monitor.external.requested"
    receiver: str = ""
    alerts: list[ExternalAlert]


class ExternalAlertsTaken(OperationEvent, Success):
    subject = "qc.monitor.external.taken"
    fired: int
    resolved: int


# -- alerts ------------------------------------------------------------------------------------------------


class AlertEvent(Event):
    """An event about one alert rule firing for one label set (one service, node, user...)."""

    alert_id: str
    rule: str
    service: str | None = None
    namespace: str = "default"
    severity: Severity = "warning"
    rule_id: str | None = None
    labels: dict[str, str] = {}
    value: float | None = None
    origin: Literal["prometheus", "behaviour", "alertmanager"] | None = None
    team: str | None = None  # the team whose alert it is (the envelope's qc-team says it too); none: the platform's


class AlertFired(AlertEvent):
    subject = "qc.monitor.alert.fired"
    summary: str
    started_at: str | None = None


class AlertResolved(AlertEvent):
    subject = "qc.monitor.alert.resolved"
