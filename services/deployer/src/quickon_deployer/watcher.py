"""Keeps each service's status true to its release: a pod crash makes it degraded, recovery running.

Services an operation is working on are left to the operation; for the others, the health the
runtime reports is turned into a status, and a change is recorded and told (ServiceStatusChanged).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlmodel import col, select

from quickon_common.outbox import Outbox

from .domain import observed_status
from .exposure.expiry import CERTIFICATE_EXPIRY
from .models import ServiceRecord
from .outcomes import set_status
from .runtime.base import Runtime, RuntimeFailure

log = logging.getLogger(__name__)
WATCHED = ("running", "degraded", "stopped", "failed")
# At most this share of the deployer's time goes to watching: with many services a look takes long (1,000 on
# sim: about a second), and looking again two seconds later kept the process busy half the time.
DUTY = 0.1


def pause_s(interval_s: float, *, spent_s: float) -> float:
    """The wait before the next look: ``interval_s``, or long enough that looking taking ``spent_s`` is DUTY
    of the time."""
    return max(interval_s, spent_s * (1 - DUTY) / DUTY)


class StatusWatcher:
    def __init__(
        self, outbox: Outbox, runtime: Runtime, *, interval_s: float, leads: Callable[[], bool] = lambda: True
    ) -> None:
        self.outbox = outbox
        self.runtime = runtime
        self.interval_s = interval_s
        self.leads = leads  # the replica that leads the deployer watches; the others stand by

    async def run(self) -> None:
        """Look every ``interval_s`` while this replica leads, or less often when a look takes long (see DUTY)."""
        while True:
            started = time.monotonic()
            try:
                if self.leads():
                    await self.look()
            except RuntimeFailure as failure:
                log.warning("cannot read the cluster's state: %s", failure.reason)
            except Exception:
                log.exception("status watch failed; trying again")
            await asyncio.sleep(pause_s(self.interval_s, spent_s=time.monotonic() - started))

    async def look(self) -> int:
        """Compare every idle service with its release once; returns how many changed status."""
        async with self.outbox.db.read_session() as session:
            found = await session.exec(
                select(ServiceRecord).where(
                    col(ServiceRecord.operation_id).is_(None), col(ServiceRecord.status).in_(WATCHED)
                )
            )
            services = found.all()
        CERTIFICATE_EXPIRY.update(services)
        changes = {}
        for record in services:
            await asyncio.sleep(0)  # one service at a time: the queries and events waiting go in between
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
