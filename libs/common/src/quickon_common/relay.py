"""The outbox relay: publishes committed events to JetStream, in order, then deletes them.

Runs inside every service, and alone as ``python -m quickon_common.relay`` (used by the
crash tests). Each batch is published with asynchronous acks; only the acknowledged prefix
is deleted, the rest is published again on the next pass. Deleting happens apart from
publishing (on SQLite by the service's next transaction, see ``Outbox``; else in the background):
the next pass, which a commit may be waiting for, does not queue behind it (it skips rows
published already). A repeat, whether from this or from a relay killed between publishing and
deleting, carries the same ``Nats-Msg-Id`` and is dropped by the stream's duplicate window.

Replicas of a service share its outbox: on PostgreSQL a pass holds the service's relay lock (``FOR UPDATE
SKIP LOCKED``, :class:`~quickon_common.leases.PassLock`), so one replica publishes at a time, in order,
and the others skip that pass and look again a moment later (what one relay publishes and another
publishes again before it is deleted is dropped by the duplicate window too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

import nats
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge
from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from .bus import ensure_stream, recreate_stream, stream_missing
from .buscredentials import connect_options
from .db import Database
from .leases import PassLock
from .logs import configure_logging
from .outbox import OutboxRecord
from .settings import load_settings
from .tasks import woken

# An outbox row as the relay reads it: position (the order), event id, subject, headers, body.
Row = tuple[int, str, str, str, bytes]
log = logging.getLogger(__name__)

PUBLISHED = Counter("quickon_outbox_published_total", "Events the relay published", ["service"])
PUBLISH_ERRORS = Counter("quickon_outbox_publish_errors_total", "Failed relay passes", ["service"])
BACKLOG = Gauge("quickon_outbox_backlog", "Events committed but not yet published", ["service"])

MAX_RETRY_WAIT_S = 5.0
# Another replica was publishing: look again this soon (its pass may have missed rows committed meanwhile).
SKIPPED_PASS_WAIT_S = 0.05


class OutboxRelay:
    """Moves events from one service's outbox table to the stream."""

    def __init__(
        self,
        db: Database,
        *,
        service: str,
        batch_size: int = 1000,
        poll_s: float = 0.5,
        ack_timeout_s: float = 10.0,
        restore_stream: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.db = db
        self.service = service
        self.batch_size = batch_size
        self.poll_s = poll_s
        self.ack_timeout_s = ack_timeout_s
        # Called when publishing finds no stream (deleted by hand): it creates it again, same config.
        self.restore_stream = restore_stream
        self.last_error: str | None = None
        self._wake = asyncio.Event()
        # Event ids acknowledged by the stream, not deleted yet. The service's Outbox shares the set
        # and deletes them with its next transaction; what no transaction took goes after poll_s.
        # Ids, not positions: SQLite gives a new row the position of a deleted one, and a position
        # remembered as published would then skip (and delete) an event never published.
        self.published: set[str] = set()
        self._forgetting: asyncio.Task[None] | None = None
        # Services may share a database, and with it the outbox table; each relay publishes the rows its
        # own service wrote (their CloudEvents source, as the outbox stores the headers), since the bus lets
        # a service's credential publish its own events only (quickon_common.buspermissions).
        table = OutboxRecord.__table__  # type: ignore[attr-defined]
        self._mine = table.c.headers.contains(f'"ce-source":{json.dumps(service)}', autoescape=True)
        self._pass_lock = PassLock(db, f"{service}:relay")
        self._skipped = False  # the last pass found another replica publishing

    def wake(self) -> None:
        """Publish now rather than at the next poll (called after a commit with events)."""
        self._wake.set()

    async def run(self, js: JetStreamContext) -> None:
        """Publish until cancelled; failures are logged and retried with backoff, never raised."""
        try:
            await self._run(js)
        finally:  # whoever stops the relay deletes what it published (forget_published)
            if self._forgetting is not None:
                self._forgetting.cancel()
                # Awaited: a delete must not outlive the relay (and the database engine after it).
                with contextlib.suppress(BaseException):
                    await self._forgetting

    async def _run(self, js: JetStreamContext) -> None:
        retry_wait = 0.1
        while True:
            self._wake.clear()  # before reading: a commit during the pass wakes the next one
            try:
                await self.drain(js)
                self._forget_in_background()
                if self.last_error:
                    log.info("outbox relay recovered", extra={"after_error": self.last_error})
                self.last_error, retry_wait = None, 0.1
            except asyncio.CancelledError:
                raise
            except Exception as error:  # NATS or the database away: keep the events, try again
                PUBLISH_ERRORS.labels(self.service).inc()
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning("outbox relay cannot publish, retrying in %.1fs: %s", retry_wait, self.last_error)
                if self.restore_stream is not None and stream_missing(error):
                    await recreate_stream(self.restore_stream, by=f"{self.service} outbox relay")
                await asyncio.sleep(retry_wait)
                retry_wait = min(retry_wait * 2, MAX_RETRY_WAIT_S)
                continue
            await woken(self._wake, SKIPPED_PASS_WAIT_S if self._skipped else self.poll_s)

    async def drain(self, js: JetStreamContext) -> int:
        """Publish every waiting event, batch after batch; return how many the stream took.

        Each drain starts from the lowest position, so a row that committed late below an earlier
        batch is found. The published rows are deleted later: in the background while :meth:`run`
        runs, else by :meth:`forget_published`. None is published while another replica's pass runs.
        """
        async with self._pass_lock.held() as mine:
            self._skipped = not mine
            return await self._drain(js) if mine else 0

    async def _drain(self, js: JetStreamContext) -> int:
        after, total = 0, 0
        while True:
            found = await self._read(after=after)
            rows = [row for row in found if row[1] not in self.published]
            if rows:
                acked, error = await self._publish(js, rows)
                self.published.update(acked)
                total += len(acked)
                PUBLISHED.labels(self.service).inc(len(acked))
                if error:
                    raise error
            if len(found) < self.batch_size:
                if not found:
                    BACKLOG.labels(self.service).set(0)
                return total
            after = found[-1][0]

    async def forget_published(self) -> None:
        """Delete every published row now (stopping, or before counting the backlog)."""
        while self.published:
            event_ids = sorted(self.published)[: self.batch_size]
            await self._forget(event_ids)
            self.published.difference_update(event_ids)

    def _forget_in_background(self) -> None:
        if self.published and (self._forgetting is None or self._forgetting.done()):
            self._forgetting = asyncio.create_task(self._forget_quietly(), name=f"{self.service}-forget")

    async def _forget_quietly(self) -> None:
        try:
            await asyncio.sleep(self.poll_s)  # a write of the service may take them meanwhile
            await self.forget_published()
        except Exception as error:  # the rows stay and are skipped; the next pass or count retries
            log.warning("outbox relay cannot delete published events yet: %s: %s", type(error).__name__, error)

    async def _read(self, *, after: int) -> list[Row]:
        table = OutboxRecord.__table__  # type: ignore[attr-defined]
        query = (
            sa_select(table.c.position, table.c.event_id, table.c.subject, table.c.headers, table.c.body)
            .where(table.c.position > after, self._mine)
            .order_by(table.c.position)
            .limit(self.batch_size)
        )
        async with self.db.read_session() as session:
            rows = (await (await session.connection()).execute(query)).all()
        return [(int(row[0]), row[1], row[2], row[3], row[4]) for row in rows]

    async def _publish(self, js: JetStreamContext, rows: list[Row]) -> tuple[list[str], Exception | None]:
        """Publish with asynchronous acks; the event ids of the acknowledged prefix, and why not all."""
        futures = [
            await js.publish_async(subject, body, headers=json.loads(headers)) for _, _, subject, headers, body in rows
        ]
        done, _ = await asyncio.wait(futures, timeout=self.ack_timeout_s)
        acked = 0
        for future in futures:  # the acknowledged prefix only, so order is kept on retry
            if future not in done or future.exception() is not None:
                break
            acked += 1
        for future in futures[acked:]:
            future.cancel()
        if acked == len(rows):
            return [row[1] for row in rows], None
        failed = futures[acked]
        reason = "no acknowledgement in time" if failed not in done else repr(failed.exception())
        error = ConnectionError(f"{len(rows) - acked} of {len(rows)} events not stored: {reason}")
        error.__cause__ = failed.exception() if failed in done else None  # read by stream_missing
        return [row[1] for row in rows[:acked]], error

    async def _forget(self, event_ids: list[str]) -> None:
        # By id, never "up to position": on PostgreSQL a lower position may commit later.
        async with self.db.session() as session:
            await session.exec(delete(OutboxRecord).where(col(OutboxRecord.event_id).in_(event_ids)))
            await session.commit()

    async def backlog(self) -> int:
        """How many committed events of this service wait to be published."""
        await self.forget_published()
        async with self.db.read_session() as session:
            count = (await session.exec(select(func.count()).select_from(OutboxRecord).where(self._mine))).one()
        BACKLOG.labels(self.service).set(count)
        return int(count)


async def _main(args: argparse.Namespace) -> None:
    settings = load_settings(args.service, **({"database_url": args.database_url} if args.database_url else {}))
    if args.nats_url:
        settings = settings.model_copy(update={"nats_url": args.nats_url})
    configure_logging(f"{args.service}-relay", level=settings.log_level, json_lines=settings.log_json)
    db = Database(settings.effective_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    # The service's migrations make the outbox when it starts: until then the relay retries, saying why.
    nc = await nats.connect(
        settings.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.5, **connect_options(settings)
    )
    js = nc.jetstream()
    await ensure_stream(js, settings)
    relay = OutboxRelay(
        db,
        service=args.service,
        batch_size=settings.relay_batch_size,
        poll_s=settings.relay_poll_s,
        ack_timeout_s=settings.relay_ack_timeout_s,
        restore_stream=lambda: ensure_stream(js, settings),
    )
    log.info("relay started", extra={"database": db.engine.url.render_as_string(hide_password=True)})
    await relay.run(js)


def main() -> None:
    """Run one service's relay on its own (``python -m quickon_common.relay``)."""
    parser = argparse.ArgumentParser(description="Publish a QuickOn service's outbox to NATS JetStream.")
    parser.add_argument("--service", required=True, help="the service whose outbox to publish")
    parser.add_argument("--database-url", help="defaults to QC_<SERVICE>_DATABASE_URL or var/<service>.db")
    parser.add_argument("--nats-url", help="defaults to QC_NATS_URL")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
