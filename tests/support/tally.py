"""A small service for the bus tests: it counts status changes per service name.

Names drive its behaviour, so a test picks the path by the event it sends: ``poison-*``
always fails (retried, then dead-lettered), ``refuse-*`` is refused at once, anything else
is counted and answered with an ``AlertResolved`` caused by it.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlmodel import Field, SQLModel, func, select

from quickon_common.buspermissions import ADMIN
from quickon_common.consumer import DeadLetter, Handling
from quickon_common.contracts.deploy import ServiceStatusChanged
from quickon_common.contracts.monitor import AlertResolved
from quickon_common.db import Database
from quickon_common.migrations import Migrations
from quickon_common.service import Service
from quickon_common.settings import Settings
from support.bus import credential_of


class Tally(SQLModel, table=True):
    __tablename__ = "test_tally"

    key: str = Field(primary_key=True)
    count: int = 0


# Its database is made the way every service's is: by its own migrations, at start.
MIGRATIONS = Migrations(service="tally", folder=Path(__file__).parent / "tally_migrations", models=(Tally,))


def tally_service(settings: Settings) -> Service:
    """The counting service, on the given settings. It writes what a deployer says and answers as a monitor
    would, so on a locked NATS it speaks with the test's credential, not the service it is named after."""
    if settings.nats_nkey_file is not None:
        settings = settings.model_copy(update={"nats_nkey_file": credential_of(ADMIN)})
    service = Service(settings.service, settings=settings, migrations=MIGRATIONS)

    @service.handles(ServiceStatusChanged)
    async def count_status(event: ServiceStatusChanged, handling: Handling[ServiceStatusChanged]) -> None:
        """Count one status change and announce it."""
        if event.service.startswith("poison"):
            raise RuntimeError(f"cannot handle {event.service}")
        if event.service.startswith("refuse"):
            raise DeadLetter(f"{event.service} is never acceptable")
        session = handling.uow.session
        row = await session.get(Tally, event.service) or Tally(key=event.service, count=0)
        row.count += 1
        session.add(row)
        handling.uow.emit(AlertResolved(alert_id=str(uuid.uuid4()), rule="status", service=event.service))

    return service


def status(name: str) -> ServiceStatusChanged:
    return ServiceStatusChanged(service=name, status="running")


async def counts(db: Database) -> dict[str, int]:
    """Every key's count."""
    async with db.read_session() as session:
        rows = (await session.exec(select(Tally))).all()
        return {row.key: row.count for row in rows}


async def total(db: Database) -> int:
    """The sum of all counts."""
    async with db.read_session() as session:
        return int((await session.exec(select(func.coalesce(func.sum(Tally.count), 0)))).one())
