"""Records written before secret paths named list items, sealed as they would be today.

Until then a credential inside a list (``users[0].password``) stayed in clear in a service's values,
its revisions' and its operations' plans. At each start, before any request is taken, the deployer
looks for such values and seals them apart with the rest, changing nothing else; a database with
none (every one written since) changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import select

from quickon_common.db import Database
from quickon_common.sealing import Sealer, SealError, seal_secrets
from quickon_common.secret_values import credential_paths

from .models import OperationRecord, RevisionRecord, ServiceRecord

log = logging.getLogger(__name__)


async def reseal_clear_credentials(db: Database, sealer: Sealer) -> None:
    """Seal every credential still in clear in the values of a service, a revision or an operation's plan."""
    resealed = 0
    async with db.session() as session:
        records: list[ServiceRecord | RevisionRecord | OperationRecord] = [
            *(await session.exec(select(ServiceRecord))).all(),
            *(await session.exec(select(RevisionRecord))).all(),
            *(await session.exec(select(OperationRecord))).all(),
        ]
        for record in records:
            if _reseal(record, sealer):
                session.add(record)
                resealed += 1
        await session.commit()
    if resealed:
        log.info("sealed the credentials %d records still held in clear", resealed)


def _reseal(record: ServiceRecord | RevisionRecord | OperationRecord, sealer: Sealer) -> bool:
    """Whether ``record`` held a credential in clear (now sealed with the others)."""
    fields: dict[str, Any] = (
        dict(record.plan)
        if isinstance(record, OperationRecord)
        else {"values": record.values, "sealed": record.sealed_secrets, "secret_paths": _paths(record)}
    )
    values = fields.get("values")
    if not isinstance(values, dict) or not (leftover := list(credential_paths(values))):
        return False
    try:
        given = sealer.joined(values, fields.get("sealed"))
    except SealError as error:  # another key sealed them: left as they are, and said
        log.warning("cannot seal the credentials left in clear in a %s: %s", type(record).__name__, error)
        return False
    split = seal_secrets(sealer, given, [*(fields.get("secret_paths") or []), *leftover])
    if isinstance(record, OperationRecord):
        record.plan = {
            **record.plan,
            "values": split.values,
            "sealed": split.sealed,
            "secret_paths": split.secret_paths,
        }
    else:
        record.values, record.sealed_secrets = split.values, split.sealed
    if isinstance(record, ServiceRecord):
        record.secret_paths = split.secret_paths or []
    return True


def _paths(record: ServiceRecord | RevisionRecord) -> list[str]:
    return record.secret_paths if isinstance(record, ServiceRecord) else []
