"""The alert rules' pure logic, as Prometheus and Alertmanager have it: the state machine of one alert,
its identity (one alert per label set), the summary's placeholders, and silences.

An alert is ``pending`` from the first evaluation its rule's condition holds for its labels; ``firing`` once
it has held ``for_s``; ``resolved`` once it has not held for ``keep_firing_for_s`` (0: at the first round it
does not hold), which damps flapping. A pending alert whose condition stops holding is dropped, never
announced. No I/O here: the evaluator and the handlers call these and write what they return.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from quickon_common.contracts.monitor import PLACEHOLDER, Matcher

State = Literal["pending", "firing", "resolved"]
Transition = Literal["fired", "resolved"] | None


@dataclass(frozen=True)
class AlertState:
    """What the evaluator knows of one alert between rounds."""

    state: State
    active_at: datetime  # when its condition started holding
    last_true_at: datetime  # the last round it held
    value: float | None = None
    fired_at: datetime | None = None
    resolved_at: datetime | None = None


def step(
    previous: AlertState | None,
    *,
    holds: bool,
    value: float | None,
    now: datetime,
    for_s: float,
    keep_firing_for_s: float,
) -> tuple[AlertState | None, Transition]:
    """The alert after one evaluation at ``now`` (None: no alert, a pending one dropped) and what changed."""
    active = previous is not None and previous.state != "resolved"
    if holds:
        if not active:
            previous = AlertState(state="pending", active_at=now, last_true_at=now, value=value)
        assert previous is not None
        current = replace(previous, last_true_at=now, value=value)
        if current.state == "pending" and now - current.active_at >= timedelta(seconds=for_s):
            return replace(current, state="firing", fired_at=now), "fired"
        return current, None
    if not active:
        return previous, None
    assert previous is not None
    if previous.state == "pending":
        return None, None
    if now - previous.last_true_at < timedelta(seconds=keep_firing_for_s):
        return previous, None
    return replace(previous, state="resolved", resolved_at=now), "resolved"


def fingerprint(rule_id: str, labels: Mapping[str, str]) -> str:
    """The identity of one alert: its rule and its label set (in any order)."""
    body = json.dumps([rule_id, sorted(labels.items())], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def summary(text: str, *, labels: Mapping[str, str], value: float | None) -> str:
    """``text`` with ``{{ $labels.x }}`` and ``{{ $value }}`` filled in as Prometheus does (an absent label is
    empty)."""

    def fill(found: re.Match[str]) -> str:
        name = found.group(1)
        if name == "$value":
            return "" if value is None else f"{value:g}"
        return labels.get(name.removeprefix("$labels."), "")

    return PLACEHOLDER.sub(fill, text)


def matches(matcher: Matcher, labels: Mapping[str, str]) -> bool:
    """Whether ``labels`` satisfy one matcher (an absent label is the empty string, as in Alertmanager)."""
    value = labels.get(matcher.name, "")
    if matcher.is_regex:
        try:
            hit = re.fullmatch(matcher.value, value) is not None
        except re.error:
            hit = False
    else:
        hit = value == matcher.value
    return hit if matcher.is_equal else not hit


@dataclass(frozen=True)
class SilenceWindow:
    """A silence as the evaluator needs it: whose, what it matches and when."""

    team: str | None
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime


def silenced(labels: Mapping[str, str], *, team: str | None, silences: list[SilenceWindow], now: datetime) -> bool:
    """Whether an alert of ``team`` with ``labels`` is silenced at ``now``: a silence in force matches every
    matcher. A team's silence covers only that team's alerts; a platform silence covers every alert."""
    for window in silences:
        if not window.starts_at <= now < window.ends_at:
            continue
        if window.team is not None and window.team != team:
            continue
        if all(matches(m, labels) for m in window.matchers):
            return True
    return False


def alert_labels(
    rule_labels: Mapping[str, str], series: Mapping[str, str], *, rule_name: str, severity: str
) -> dict[str, str]:
    """An alert's labels as Prometheus makes them: the series' (without ``__name__``), then the rule's own,
    ``alertname`` and ``severity``."""
    labels = {k: v for k, v in series.items() if k != "__name__"}
    labels.update(rule_labels)
    labels["alertname"] = rule_name
    labels.setdefault("severity", severity)
    return labels


def owner(labels: Mapping[str, str], *, team: str | None, namespaces: Mapping[str, str]) -> str | None:
    """The team an alert belongs to, whose channels are told and whose members see it: its rule's team; for a
    platform rule, the team that owns the namespace its labels name (a team's crash-looping app is that team's
    news, as Alertmanager routes by namespace); else the platform's (nodes, platform components)."""
    return team if team is not None else namespaces.get(labels.get("namespace", ""))


def in_scope(labels: Mapping[str, str], *, team: str | None, namespaces: Mapping[str, str]) -> bool:
    """Whether a series may give an alert to ``team``'s rule: a team's rule sees only its namespaces' series
    (``namespaces``: namespace -> owning team); the platform's sees every series."""
    if team is None:
        return True
    return namespaces.get(labels.get("namespace", "")) == team
