"""Triggers that make ``audit_log`` append-only on SQLite and PostgreSQL.

UPDATE is always refused. DELETE is refused unless an open retention record covers the row: the
retention job opens one, deletes whole checkpointed segments and closes it in one transaction
(:mod:`.retention`), so no other path deletes. TRUNCATE is refused on PostgreSQL. Checkpoints are
kept the same way: never deleted, and only their ``stored`` flag may change.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

UPDATE_REFUSED = "audit_log is append-only: UPDATE refused"
DELETE_REFUSED = "audit_log is append-only: DELETE refused (only retention removes checkpointed segments)"
COVERED = (
    "EXISTS (SELECT 1 FROM audit_retention r JOIN audit_checkpoints c ON c.seq = r.up_to_seq"
    " WHERE r.open AND {row}.seq <= r.up_to_seq)"
)

CHECKPOINT_REFUSED = "audit_checkpoints are kept: only the stored flag may change"
CHECKPOINT_FIELDS = ("seq", "first_seq", "head_hash", "merkle_root", "time", "key_id", "signature", "leaves")
CHECKPOINT_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CHECKPOINT_FIELDS)

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{UPDATE_REFUSED}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN NOT {COVERED.format(row="OLD")}
    BEGIN SELECT RAISE(ABORT, '{DELETE_REFUSED}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, '{CHECKPOINT_REFUSED}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    WHEN {CHECKPOINT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
    BEGIN SELECT RAISE(ABORT, '{CHECKPOINT_REFUSED}'); END""",
]

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION '{UPDATE_REFUSED}'; END IF;
        IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION '{DELETE_REFUSED}'; END IF;
        IF NOT {COVERED.format(row="OLD")} THEN RAISE EXCEPTION '{DELETE_REFUSED}'; END IF;
        RETURN OLD;
    END $$""",
    """CREATE OR REPLACE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard()""",
    """CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard()""",
    f"""CREATE OR REPLACE FUNCTION audit_checkpoints_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE' OR {CHECKPOINT_CHANGED} THEN RAISE EXCEPTION '{CHECKPOINT_REFUSED}'; END IF;
        RETURN NEW;
    END $$""",
    """CREATE OR REPLACE TRIGGER audit_checkpoints_guard BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_guard()""",
    """CREATE OR REPLACE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_guard()""",
]


async def install(connection: AsyncConnection) -> None:
    """Create the triggers (idempotent)."""
    for statement in SQLITE if connection.dialect.name == "sqlite" else POSTGRES:
        await connection.execute(text(statement))
