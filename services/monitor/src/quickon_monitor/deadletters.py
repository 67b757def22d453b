"""Any dead letter fires the ``dead_letter`` behaviour rules. Dead letters are not events the registry
decodes, so the monitor follows ``qc.dlq.>`` with a durable pull subscription of its own (as the gateway
does): a fetched batch is applied in one transaction and acknowledged once it has committed, and each dead
letter's alert is keyed by its stream sequence, so one read twice fires once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError
from sqlmodel import select

from quickon_common.bus import DLQ_PREFIX
from quickon_common.service import Service

from . import domain
from .firing import fire
from .models import AlertRecord
from .watching import facts, labelled, rules_of

log = logging.getLogger(__name__)
DURABLE = "monitor-follow_dead_letters"
BATCH = 100


async def alert_dead_letters(service: Service, messages: list[Msg], *, now: datetime) -> int:
    """Fire the dead-letter rules for ``messages`` in one transaction; how many alerts are new."""
    new = 0
    async with service.outbox.begin(actor="monitor") as uow:
        rules = await rules_of(uow.session, "dead_letter", team=None)  # the platform's: its rules only
        for msg in messages:
            headers = msg.headers or {}
            dead_by = msg.subject.removeprefix(f"{DLQ_PREFIX}.")
            for rule, spec in rules:
                labels = labelled(
                    spec, service=dead_by, consumer=headers.get("qc-dlq-consumer", dead_by),
                    subject=headers.get("qc-dlq-subject", ""),
                    stream_sequence=headers.get("qc-dlq-stream-sequence", str(msg.metadata.sequence.stream)),
                )  # fmt: skip
                key = domain.fingerprint(rule.id, labels)
                seen = await uow.session.exec(select(AlertRecord.id).where(AlertRecord.fingerprint == key))
                if seen.first() is not None:  # read again after a crash before its ack
                    continue
                labels["reason"] = headers.get("qc-dlq-reason", "")[:500]
                new += await fire(uow, facts(rule, spec), labels=labels, value=None, summary_text=spec.summary,
                                  now=now, hold_s=spec.keep_firing_for_s or 3600, fingerprint=key)  # fmt: skip
    return new


async def follow_dead_letters(service: Service, *, clock: Callable[[], datetime]) -> None:
    """Read ``qc.dlq.>`` for ever; NATS or database trouble is logged and retried (unacknowledged dead
    letters come again)."""
    config = ConsumerConfig(ack_wait=service.settings.consumer_ack_wait_s)
    subscription = None
    retry_wait = 0.1
    try:
        while True:
            try:
                if subscription is None:
                    subscription = await service.js.pull_subscribe(
                        f"{DLQ_PREFIX}.>", DURABLE, stream=service.settings.stream_name, config=config
                    )
                try:
                    messages = await subscription.fetch(BATCH, timeout=5)
                except (TimeoutError, NatsTimeoutError):
                    continue
                await alert_dead_letters(service, messages, now=clock())
                for msg in messages:
                    await msg.ack()
                retry_wait = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if isinstance(error, NotFoundError):
                    subscription = None
                log.warning("following dead letters: %s: %s; again in %.1fs", type(error).__name__, error, retry_wait)
                await asyncio.sleep(retry_wait)
                retry_wait = min(retry_wait * 2, 5.0)
    finally:
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
