"""Who is calling: the user behind a token, with their role in each of their teams."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from quickon_common.contracts.queries import Caller

from .teams.roles import Role, at_least


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. ``roles``: their role in each team they are in, by team id."""

    user_id: str
    username: str
    is_admin: bool
    token_id: str
    roles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def may(self, role: Role, team: str | None) -> bool:
        """Whether the caller may act as ``role`` in ``team`` (None: no team's, so platform admins only)."""
        return self.is_admin or (team is not None and at_least(self.roles.get(team), role))

    @property
    def teams(self) -> list[str]:
        return sorted(self.roles)

    def caller(self) -> Caller:
        """Who a team-scoped query is asked for."""
        return Caller(is_admin=self.is_admin, teams=self.teams)
