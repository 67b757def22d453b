"""The teams and the namespaces each owns, as every authorization needs them: read whole from the
database (they are few) and kept in memory while this replica hears every iam event
(:class:`quickon_gateway.iam_events.IamFollower`), for at most ``cache_s`` seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlmodel import col, select

from quickon_common.db import Database

from ..flights import SingleFlight
from ..iam_events import IamFollower
from .models import NamespaceRecord, TeamRecord


@dataclass(frozen=True)
class Teams:
    """One reading of the teams: names by id, and the owner of each namespace."""

    names: dict[str, str] = field(default_factory=dict)  # team id -> name
    owners: dict[str, str] = field(default_factory=dict)  # namespace -> team id
    namespaces: dict[str, list[str]] = field(default_factory=dict)  # team id -> namespaces, oldest first

    def find(self, team: str) -> str | None:
        """The id of the team named (or identified) ``team``, or None."""
        if team in self.names:
            return team
        return next((tid for tid, name in self.names.items() if name == team), None)

    def home(self, team: str) -> str | None:
        """Where a team's services go when no namespace is named: the one named after it, else its first."""
        owned = self.namespaces.get(team, [])
        return team if team in owned else (owned[0] if owned else None)


class Directory:
    def __init__(self, db: Database, follower: IamFollower, *, cache_s: float) -> None:
        self.db = db
        self.follower = follower
        self.cache_s = cache_s
        self._kept: tuple[float, Teams] | None = None
        self._loading: SingleFlight[Teams] = SingleFlight()
        follower.on_change(self.forget)

    async def teams(self) -> Teams:
        kept, now = self._kept, time.monotonic()
        if kept is not None and kept[0] >= now and self.follower.trusted():
            return kept[1]
        found = await self._loading.run("teams", self._load)
        if self.follower.trusted():
            self._kept = (now + self.cache_s, found)
        return found

    def forget(self) -> None:
        self._kept = None

    async def _load(self) -> Teams:
        async with self.db.read_session() as session:
            teams = (await session.exec(select(TeamRecord))).all()
            spaces = (
                await session.exec(
                    select(NamespaceRecord).order_by(col(NamespaceRecord.assigned_at), col(NamespaceRecord.namespace))
                )
            ).all()
        namespaces: dict[str, list[str]] = {}
        for space in spaces:
            namespaces.setdefault(space.team_id, []).append(space.namespace)
        return Teams(
            names={t.id: t.name for t in teams},
            owners={s.namespace: s.team_id for s in spaces},
            namespaces=namespaces,
        )
