"""A default behaviour rule: a service whose scheduled security rescan found new HIGH or CRITICAL findings
(the deployer's ``ServiceScanWorsened``). Enabled; the platform's.

A frozen picture of the rule: it imports no model. No downgrade.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    rule = sa.table(
        "monitor_rule",
        *(sa.column(name) for name in ("id", "name", "team", "kind", "enabled", "builtin", "last_error")),
        *(sa.column(name) for name in ("created_by", "updated_at", "deleted_at")),
        sa.column("spec", sa.JSON()),
    )
    name = "ServiceScanWorsened"
    spec: dict[str, Any] = {
        "name": name, "template": "service_scan_worsened", "params": {}, "expr": None, "for_s": 0,
        "keep_firing_for_s": 86400, "severity": "warning", "labels": {}, "enabled": True,
        "summary": "a security rescan of {{ $labels.service }} in {{ $labels.namespace }} found {{ $value }} new "
        "finding(s), the worst {{ $labels.worst }} (GET /api/v1/services/{{ $labels.service }}/scan)",
    }  # fmt: skip
    op.bulk_insert(rule, [{
        "id": "builtin-scan-worsened", "name": name, "team": None, "kind": "behaviour", "spec": spec, "enabled": True,
        "builtin": True, "last_error": None, "created_by": None, "updated_at": datetime.now(UTC), "deleted_at": None,
    }])  # fmt: skip
