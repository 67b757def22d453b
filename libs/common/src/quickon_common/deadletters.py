"""Following the dead letters (``qc.dlq.>``) with a durable consumer of one's own: the gateway fails the
operations of dead-lettered requests, the monitor raises an alert for each.

A batch is acknowledged only once ``apply`` has committed what it makes of it: a crash in between reads
the batch again. NATS or database trouble is logged and retried with back-off, never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError

from .bus import DLQ_PREFIX
from .service import Service

log = logging.getLogger(__name__)
BATCH = 100


async def follow_dead_letters(service: Service, durable: str, apply: Callable[[list[Msg]], Awaitable[object]]) -> None:
    """Read ``qc.dlq.>`` as ``durable`` for ever, handing each batch to ``apply``."""
    config = ConsumerConfig(ack_wait=service.settings.consumer_ack_wait_s)
    subscription = None
    retry_wait = 0.1
    try:
        while True:
            try:
                if subscription is None:
                    subscription = await service.js.pull_subscribe(
                        f"{DLQ_PREFIX}.>", durable, stream=service.settings.stream_name, config=config
                    )
                try:
                    messages = await subscription.fetch(BATCH, timeout=5)
                except (TimeoutError, NatsTimeoutError):
                    continue
                await apply(messages)
                for msg in messages:  # only once applied: a crash in between reads them again
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
        # Unsubscribed here, not left to the connection's drain: that would wait out its timeout for a
        # fetch nobody waits on any more, and the relay's last events would not be published at stop.
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
