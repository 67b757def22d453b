"""Two default rules over NATS as its monitoring endpoint shows it (the monitor's quickon_nats_* series):
the server unhealthy or unreachable, and JetStream's storage filling up. Enabled; the platform's.

A frozen picture of the rules: it imports no model. No downgrade.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

RULES = [
    ("builtin-nats-down", "NatsUnhealthy", "critical", 60, "max(quickon_nats_up) == 0",
     "nats-server does not say it is healthy: every platform service waits for it"),
    ("builtin-nats-storage", "NatsStorageFilling", "warning", 300,
     "100 * max(quickon_nats_jetstream_storage_bytes) / max(quickon_nats_jetstream_storage_limit_bytes) > 85",
     "JetStream's storage is {{ $value }}% full: give it more (max_file_store) or keep less"),
]  # fmt: skip


def upgrade() -> None:
    rule = sa.table(
        "monitor_rule",
        *(sa.column(name) for name in ("id", "name", "team", "kind", "enabled", "builtin", "last_error")),
        *(sa.column(name) for name in ("created_by", "updated_at", "deleted_at")),
        sa.column("spec", sa.JSON()),
    )
    now = datetime.now(UTC)
    rows = []
    for rule_id, name, severity, for_s, expr, summary in RULES:
        spec: dict[str, Any] = {
            "name": name, "template": None, "params": {}, "expr": expr, "for_s": for_s, "keep_firing_for_s": 0,
            "severity": severity, "labels": {}, "summary": summary, "enabled": True,
        }  # fmt: skip
        rows.append({"id": rule_id, "name": name, "team": None, "kind": "prometheus", "spec": spec, "enabled": True,
                     "builtin": True, "last_error": None, "created_by": None, "updated_at": now,
                     "deleted_at": None})  # fmt: skip
    op.bulk_insert(rule, rows)
