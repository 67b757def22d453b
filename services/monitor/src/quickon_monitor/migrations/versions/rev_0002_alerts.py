"""Alert rules, alerts, silences, behaviour hits, team namespaces and the evaluator's lease; the default
rules, enabled (the platform's: team none, ``builtin``).

A frozen picture, written out table by table and rule by rule: it imports no model. No downgrade.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _rule(
    rule_id: str, name: str, kind: str, template: str, severity: str, summary: str, **more: Any
) -> dict[str, Any]:
    spec = {"name": name, "template": template, "params": more.pop("params", {}), "expr": None,
            "for_s": more.pop("for_s", 0), "keep_firing_for_s": more.pop("keep_firing_for_s", 0),
            "severity": severity, "labels": {}, "summary": summary, "enabled": True}  # fmt: skip
    return {"id": rule_id, "name": name, "team": None, "kind": kind, "spec": spec, "enabled": True, "builtin": True}


DEFAULT_RULES = [
    _rule("builtin-node-disk", "NodeDiskFilling", "prometheus", "node_disk", "warning",
          "disk {{ $labels.mountpoint }} of {{ $labels.instance }} is {{ $value }}% full", for_s=300,
          params={"percent": 85}),
    _rule("builtin-not-ready", "ServiceNotReady", "prometheus", "service_not_ready", "warning",
          "pod {{ $labels.pod }} in {{ $labels.namespace }} is not ready", for_s=300),
    _rule("builtin-restarts", "ServiceRestarting", "prometheus", "restarts", "warning",
          "pod {{ $labels.pod }} in {{ $labels.namespace }} restarted {{ $value }} times in 10 minutes",
          params={"count": 3, "window_s": 600}),
    _rule("builtin-cpu-limit", "ServiceCpuNearLimit", "prometheus", "cpu_of_limit", "warning",
          "{{ $labels.container }} of {{ $labels.pod }} uses {{ $value }}% of its CPU limit", for_s=600,
          params={"percent": 90}),
    _rule("builtin-component-down", "PlatformComponentDown", "prometheus", "component_down", "critical",
          "platform component {{ $labels.job }} ({{ $labels.instance }}) is down", for_s=60),
    _rule("builtin-certificate", "CertificateExpiring", "prometheus", "certificate_expiring", "warning",
          "certificate {{ $labels.name }} in {{ $labels.namespace }} expires in {{ $value }} days",
          params={"days": 14}),
    _rule("builtin-login-failures", "RepeatedLoginFailures", "behaviour", "login_failures", "warning",
          "{{ $value }} failed logins for user {{ $labels.username }} within 5 minutes",
          params={"count": 5, "window_s": 300}, keep_firing_for_s=300),
    _rule("builtin-off-hours-uninstall", "UninstallOutsideWorkingHours", "behaviour", "uninstall_off_hours",
          "warning", "{{ $labels.service }} in {{ $labels.namespace }} was uninstalled outside working hours",
          keep_firing_for_s=3600),
    _rule("builtin-dead-letter", "EventDeadLettered", "behaviour", "dead_letter", "critical",
          "{{ $labels.consumer }} gave up on an event of {{ $labels.subject }}", keep_firing_for_s=3600),
    _rule("builtin-audit-verification", "AuditVerificationFailed", "behaviour", "audit_verification_failed",
          "critical", "the audit log failed verification at entry {{ $value }}", keep_firing_for_s=86400),
    _rule("builtin-backup-failed", "BackupFailing", "behaviour", "backup_failed", "critical",
          "backups of {{ $labels.service }} in {{ $labels.namespace }} failed {{ $value }} times in a row",
          params={"count": 2}),
]  # fmt: skip


def upgrade() -> None:
    """Create the monitor's tables and the default rules."""
    rule = op.create_table(
        "monitor_rule",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "monitor_alert",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("rule", sa.String(length=255), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("service", sa.String(length=63), nullable=True),
        sa.Column("namespace", sa.String(length=63), nullable=True),
        sa.Column("silenced", sa.Boolean(), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("active_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_true_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=255), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_monitor_alert_state", "monitor_alert", ["state"], unique=False)
    op.create_index("ix_monitor_alert_fingerprint", "monitor_alert", ["fingerprint"], unique=False)
    op.create_table(
        "monitor_silence",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=True),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "monitor_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_monitor_hit_key", "monitor_hit", ["rule_id", "key"], unique=False)
    op.create_table(
        "monitor_team_namespace",
        sa.Column("namespace", sa.String(length=63), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("namespace"),
    )
    op.create_table(
        "monitor_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        rule,
        [{**r, "last_error": None, "created_by": None, "updated_at": now, "deleted_at": None} for r in DEFAULT_RULES],
    )
