"""Alerts raised by something other than a Prometheus round: a behaviour rule over the event stream, or an
outside Alertmanager. They fire at once (their condition is already a fact) and resolve when their hold
passes quietly (behaviour), when an event clears them, or when Alertmanager says so."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from quickon_common.outbox import UnitOfWork

from . import domain
from .alerts import RuleFacts, active_alert, active_silences, announce, new_alert, resolve, team_namespaces


async def fire(
    uow: UnitOfWork,
    facts: RuleFacts,
    *,
    labels: Mapping[str, str],
    value: float | None,
    summary_text: str,
    now: datetime,
    hold_s: float | None,
    fingerprint: str | None = None,
) -> bool:
    """Fire (or keep firing) the alert of ``labels``; True when it is new. ``hold_s``: it resolves after that
    long without another hit (None: only when cleared)."""
    key = fingerprint or domain.fingerprint(facts.rule_id or facts.name, labels)
    text = domain.summary(summary_text, labels=labels, value=value)
    record = await active_alert(uow.session, key)
    new = record is None
    if record is None:
        team = domain.owner(labels, team=facts.team, namespaces=await team_namespaces(uow.session))
        owned = replace(facts, team=team)
        record = new_alert(owned, fingerprint=key, labels=labels, value=value, summary=text, now=now)
        record.state, record.fired_at = "firing", now
    record.value, record.summary, record.last_true_at = value, text, now
    record.hold_until = now + timedelta(seconds=hold_s) if hold_s else None
    announce(uow, record, silences=await active_silences(uow.session, now), now=now)
    uow.session.add(record)
    return new


async def clear(uow: UnitOfWork, fingerprint: str, *, now: datetime) -> bool:
    """Resolve the active alert of ``fingerprint``, if any; True when there was one."""
    record = await active_alert(uow.session, fingerprint)
    if record is None:
        return False
    resolve(uow, record, now=now)
    uow.session.add(record)
    return True
