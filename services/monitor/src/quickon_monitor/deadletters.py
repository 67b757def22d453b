"""Any dead letter fires the ``dead_letter`` behaviour rules. Dead letters are not events the registry
decodes, so the monitor follows ``qc.dlq.>`` with a durable pull subscription of its own
(``quickon_common.deadletters``, as the gateway does): a fetched batch is applied in one transaction and
acknowledged once it has committed, and each dead letter's alert is keyed by its stream sequence, so one
read twice fires once."""

from __future__ import annotations

from datetime import datetime

from nats.aio.msg import Msg
from sqlmodel import select

from quickon_common.bus import DLQ_PREFIX
from quickon_common.service import Service

from . import domain
from .firing import fire
from .models import AlertRecord
from .watching import facts, labelled, rules_of

DURABLE = "monitor-follow_dead_letters"


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
