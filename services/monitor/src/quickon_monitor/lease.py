"""One replica evaluates the rules: the holder of a lease row, renewed every round, taken over by another
replica once it has expired (its holder died or stalled)."""

from __future__ import annotations

from datetime import datetime, timedelta

from quickon_common.db import Database

from .alerts import aware
from .models import LeaseRecord


async def take(db: Database, *, name: str, holder: str, now: datetime, ttl_s: float) -> bool:
    """Hold (or keep holding) the lease ``name`` until ``now + ttl_s``; False when another replica holds it.

    The row is read for update, so two replicas taking an expired lease at once queue on PostgreSQL (and
    SQLite has one writer): the second sees the first's renewal. Two first inserts at once: one fails on
    the primary key and tries again next round."""
    async with db.session() as session:
        lease = await session.get(LeaseRecord, name, with_for_update=True)
        if lease is not None and lease.holder != holder and aware(lease.expires_at) > now:
            return False
        lease = lease or LeaseRecord(name=name, holder=holder, expires_at=now)
        lease.holder, lease.expires_at = holder, now + timedelta(seconds=ttl_s)
        session.add(lease)
        await session.commit()
    return True
