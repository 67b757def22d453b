"""Retention: the oldest whole segments go once a checkpoint covers them, and the log records it.

The one sanctioned delete: in one transaction it opens a retention record up to a checkpoint's
sequence (which lets the delete trigger pass for those rows only), deletes the entries, closes the
record and publishes ``AuditRetentionApplied``. Verification then starts after that checkpoint,
whose signed head hash the first remaining entry must chain to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update

from quickon_common.contracts.audit import AuditRetentionApplied
from quickon_common.outbox import Outbox

from .appender import checkpoints, entries, lock_head
from .models import AuditRetention

retention = AuditRetention.__table__  # type: ignore[attr-defined]
log = logging.getLogger(__name__)


async def apply(outbox: Outbox, *, keep_days: float, clock: Callable[[], datetime]) -> int:
    """Remove the segments whose checkpoint is older than ``keep_days``; how many entries went."""
    now = clock().astimezone(UTC)
    cutoff = (now - timedelta(days=keep_days)).isoformat().replace("+00:00", "Z")
    async with outbox.transaction() as session:
        connection = await session.connection()
        head = await lock_head(connection)  # no append or checkpoint meanwhile
        done = (await connection.execute(select(func.max(retention.c.up_to_seq)).where(~retention.c.open))).scalar()
        after = int(done or 0)
        up_to = (
            await connection.execute(
                select(func.max(checkpoints.c.seq)).where(
                    checkpoints.c.seq > after, checkpoints.c.seq <= head.checkpoint_seq, checkpoints.c.time < cutoff
                )
            )
        ).scalar()
        if up_to is None:
            return 0
        reason = f"retention of {keep_days:g} days: segments up to checkpoint {up_to}, made before {cutoff}"
        count = (
            await connection.execute(select(func.count()).where(entries.c.seq > after, entries.c.seq <= up_to))
        ).scalar()
        marker = (
            await connection.execute(
                insert(retention)
                .values(up_to_seq=up_to, removed=count or 0, at=now, reason=reason, open=True)
                .returning(retention.c.id)
            )
        ).scalar_one()
        await connection.execute(delete(entries).where(entries.c.seq > after, entries.c.seq <= up_to))
        await connection.execute(update(retention).where(retention.c.id == marker).values(open=False))
        outbox.unit(session).emit(
            AuditRetentionApplied(up_to_sequence=int(up_to), removed=int(count or 0), reason=reason),
            subject="audit/log",
        )
    return int(count or 0)
