"""Applying a parsed index to the database: only what changed is written.

Each version row keeps the fingerprint of its index entry; a sync inserts the new ones,
rewrites those whose fingerprint changed, deletes the ones gone, all in the caller's
transaction, through core ``executemany`` (the ORM would go row by row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from .catalog import VersionView
from .index import ChartVersion
from .models import CatalogVersion

TABLE = CatalogVersion.__table__  # type: ignore[attr-defined]


@dataclass(slots=True)
class SyncResult:
    """What one sync changed."""

    added: list[ChartVersion] = field(default_factory=list)
    updated: int = 0
    removed: int = 0
    total: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def _row(repository: str, record: ChartVersion, now: datetime) -> dict[str, object]:
    return {
        "repository": repository,
        "app": record.name,
        "version": record.version,
        "app_version": record.app_version,
        "created": record.created,
        "digest": record.digest,
        "urls": list(record.urls),
        "deprecated": record.deprecated,
        "meta": record.metadata,
        "fingerprint": record.fingerprint,
        "written_at": now,
    }


async def apply_index(
    session: AsyncSession, *, repository: str, versions: list[ChartVersion], now: datetime
) -> SyncResult:
    """Make the stored versions of ``repository`` equal ``versions``, touching only differences."""
    connection = await session.connection()
    stored = {
        (app, version): fingerprint
        for app, version, fingerprint in await connection.execute(
            select(TABLE.c.app, TABLE.c.version, TABLE.c.fingerprint).where(TABLE.c.repository == repository)
        )
    }
    wanted = {(r.name, r.version): r for r in versions}
    result = SyncResult(total=len(wanted))
    result.added = [r for key, r in wanted.items() if key not in stored]
    changed = [r for key, r in wanted.items() if key in stored and stored[key] != r.fingerprint]
    gone = [key for key in stored if key not in wanted]
    if result.added:
        await connection.execute(insert(TABLE), [_row(repository, r, now) for r in result.added])
    if changed:
        rows = [{**_row(repository, r, now), "k_app": r.name, "k_version": r.version} for r in changed]
        statement = (
            update(TABLE)
            .where(
                TABLE.c.repository == repository,
                TABLE.c.app == bindparam("k_app"),
                TABLE.c.version == bindparam("k_version"),
            )
            .values(
                {
                    c: bindparam(c)
                    for c in _row(repository, changed[0], now)
                    if c not in ("repository", "app", "version")
                }
            )
        )
        await connection.execute(statement, rows)
        result.updated = len(changed)
    if gone:
        removal = delete(TABLE).where(
            TABLE.c.repository == repository,
            TABLE.c.app == bindparam("k_app"),
            TABLE.c.version == bindparam("k_version"),
        )
        await connection.execute(removal, [{"k_app": a, "k_version": v} for a, v in gone])
        result.removed = len(gone)
    return result


async def load_versions(session: AsyncSession, repository: str) -> list[VersionView]:
    """A repository's versions as the read model holds them."""
    connection = await session.connection()
    rows = await connection.execute(select(TABLE).where(TABLE.c.repository == repository))
    return [
        VersionView(
            r.repository, r.app, r.version, r.app_version, r.created, r.digest, tuple(r.urls), r.deprecated, r.meta
        )
        for r in rows
    ]


def views(repository: str, versions: list[ChartVersion]) -> list[VersionView]:
    """The read model of freshly parsed versions (what ``load_versions`` would give after the sync)."""
    return [
        VersionView(repository, r.name, r.version, r.app_version, r.created, r.digest, r.urls, r.deprecated, r.metadata)
        for r in versions
    ]
