"""The roles a member has in a team, weakest first; each may do what those before it may, and more.

- ``viewer``: sees the team's services, backups, operations, events and audit entries;
- ``operator``: + start, stop, restart, back up, restore in place, verify, upgrade, roll back;
- ``admin``: + install, uninstall, restore as a new service, delete backups, schedules, members;
- ``owner``: + rename or delete the team.

A platform admin may do everything, and alone manages users, repositories, chart publishing,
clusters, settings and which namespaces each team owns.
"""

from __future__ import annotations

from typing import get_args

from quickon_common.contracts.iam import TeamRole

Role = TeamRole
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin", "owner")
RANK = {role: rank for rank, role in enumerate(ROLES)}
assert set(ROLES) == set(get_args(TeamRole)), "the roles here are the contract's"


def at_least(held: str | None, needed: Role) -> bool:
    """Whether the role ``held`` (None: not a member) is ``needed`` or above."""
    return held is not None and RANK.get(held, -1) >= RANK[needed]  # type: ignore[call-overload]
