"""Operations no event will ever end, ended here: a request its owner dead-lettered, and one past its deadline.

Without these an operation whose request the owning service gave up on (a malformed body, a handler
that failed every try) stayed ``pending`` for ever, and so did one whose owner never answered. The
gateway follows ``qc.dlq.>`` with a durable consumer of its own (``quickon_common.deadletters``; the
dead letters are not events the registry decodes) and fails the operation with the dead letter's
reason; and it fails any operation that has had no news for ``operation_deadline_s`` with the service
that did not answer. Both only end operations still open, so repeats and several gateway replicas doing
the same are harmless.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from nats.aio.msg import Msg
from sqlmodel import col, select

from quickon_common.deadletters import follow_dead_letters
from quickon_common.service import Service

from .models import OperationRecord
from .operations import DONE
from .tracking import OWNERS, fail, owner_of

log = logging.getLogger(__name__)

DURABLE = "gateway-follow_dead_letters"
SWEEP_EVERY_S = 30.0  # at most; sooner for a short deadline


def lost_request(msg: Msg, *, source: str) -> tuple[str, str, str] | None:
    """(operation id, owning service, reason) when ``msg`` is the dead letter of a request ``source`` sent,
    put there by the service that owns it; None for any other dead letter (an observer's, say, which does
    not stop the owner from carrying the request out)."""
    headers = msg.headers or {}
    dead_lettered_by = msg.subject.rsplit(".", 1)[-1]
    context = headers.get("qc-dlq-subject", "").split(".")[1:2]
    if headers.get("ce-source") != source or not context or OWNERS.get(context[0]) != dead_lettered_by:
        return None
    try:
        body = json.loads(msg.data)
    except ValueError:
        return None
    operation_id = body.get("operation_id") if isinstance(body, dict) else None
    if not isinstance(operation_id, str):
        return None
    return operation_id, dead_lettered_by, headers.get("qc-dlq-reason", "no reason was given")


async def fail_lost_requests(service: Service, messages: list[Msg]) -> None:
    """Fail, in one transaction, the open operations whose requests ``messages`` dead-lettered."""
    async with service.outbox.transaction() as session:
        for msg in messages:
            lost = lost_request(msg, source=service.name)
            if lost is None:
                continue
            operation_id, owner, reason = lost
            record = await session.get(OperationRecord, operation_id)
            if record is not None and fail(record, f"the {owner} service could not take the request: {reason}"):
                session.add(record)
                log.warning("operation %s failed: its request was dead-lettered by %s", operation_id, owner)


async def fail_overdue(service: Service, *, deadline_s: float) -> int:
    """Fail the open operations with no news for ``deadline_s``; how many."""
    cutoff = datetime.now(UTC) - timedelta(seconds=deadline_s)
    query = select(OperationRecord).where(
        col(OperationRecord.state).not_in(DONE), col(OperationRecord.updated_at) < cutoff
    )
    failed = 0
    async with service.outbox.transaction() as session:
        for record in (await session.exec(query.limit(500).with_for_update(skip_locked=True))).all():
            owner = owner_of(record.kind)
            reason = (
                f"no answer from the {owner} service for {_duration(deadline_s)}: it may be down or have lost "
                f"the request; check it (qc status, or its /readyz) and run the command again"
            )
            if fail(record, reason):
                session.add(record)
                failed += 1
    if failed:
        log.warning("%d operation(s) failed: no answer within %s", failed, _duration(deadline_s))
    return failed


def register(service: Service, *, deadline_s: float) -> None:
    """Run both followers in ``service`` once it is up."""

    async def follow_dead_letters_of_requests() -> None:
        # Failing the operations of dead-lettered requests; a crash before the ack reads them again.
        await follow_dead_letters(service, DURABLE, lambda messages: fail_lost_requests(service, messages))

    async def expire_unanswered_operations() -> None:
        await fail_overdue(service, deadline_s=deadline_s)

    service.runs(follow_dead_letters_of_requests)
    every = min(SWEEP_EVERY_S, deadline_s / 2)
    service.periodically(every, expire_unanswered_operations, what="failing overdue operations")


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
