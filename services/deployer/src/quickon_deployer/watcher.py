"""Keeps each service's status true to its release: a pod crash makes it degraded, recovery running.

Services an operation is working on are left to the operation; for the others, the health the
runtime reports is turned into a status, and a change is recorded and told (ServiceStatusChanged).
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import col, select

from quickon_common.outbox import Outbox

from .domain import observed_status
from .models import ServiceRecord
from .outcomes import set_status
from .runtime.base import Runtime, RuntimeFailure

log = logging.getLogger(__name__)
WATCHED = ("running", "degraded", "stopped", "failed")


class StatusWatcher:
    def __init__(self, outbox: Outbox, runtime: Runtime, *, interval_s: float) -> None:
        self.outbox = outbox
        self.runtime = runtime
        self.interval_s = interval_s

    async def run(self) -> None:
        while True:
            try:
                await self.look()
            except RuntimeFailure as failure:
                log.warning("cannot read the cluster's state: %s", failure.reason)
            except Exception:
                log.exception("status watch failed; trying again")
            await asyncio.sleep(self.interval_s)

    async def look(self) -> int:
        """Compare every idle service with its release once; returns how many changed status."""
        async with self.outbox.db.read_session() as session:
            found = await session.exec(
                select(ServiceRecord).where(
                    col(ServiceRecord.operation_id).is_(None), col(ServiceRecord.status).in_(WATCHED)
                )
            )
            services = found.all()
        changes = {}
        for record in services:
            health = await self.runtime.health(namespace=record.namespace, release=record.name)
            status, reason = observed_status(health)
            if (status, reason) != (record.status, record.status_reason):
                changes[record.id] = (record.status, status, reason)
        if not changes:
            return 0
        async with self.outbox.begin(actor="deployer") as uow:
            for service_id, (seen, status, reason) in changes.items():
                current = await uow.session.get(ServiceRecord, service_id)
                # An operation may have started, or the status moved, since the look: leave it then.
                if current is not None and current.operation_id is None and current.status == seen:
                    set_status(uow, current, status, reason)
        return len(changes)
