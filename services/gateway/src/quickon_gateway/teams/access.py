"""Authorization: the role a route needs, in the team that owns what it acts on, as a dependency.

Every route declares what it needs: ``require("operator")`` for a service (the team that owns its
namespace), ``require_team("admin")`` for a team named in the path, ``require_backup("operator")``
for a backup (its team), ``require_owned("admin", ALERT_RULE, …)`` for another thing a team owns that its
service answers a query about, :data:`quickon_gateway.auth.AdminUser` for what only platform admins do,
:data:`quickon_gateway.auth.CurrentUser` for what any user may (the catalog; lists filtered to the
caller's teams). A refusal is a 403 saying which role in which team it takes. The owning services
check again that a request's team owns what it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from quickon_common.contracts.queries import Caller
from quickon_common.contracts.queries import Query as Contract
from quickon_common.contracts.queries.backup import BACKUP, BackupDetail, BackupRequest
from quickon_common.names import DNS_LABEL_PATTERN as DNS_LABEL
from quickon_common.names import RELEASE_NAME_MAX

from ..auth.dependencies import current_user
from ..deps import Parts
from ..principal import Principal
from ..problems import Problem
from .directory import Teams
from .roles import Role

TEAM_NAME = DNS_LABEL
NamespaceChoice = Annotated[
    str | None,
    Query(
        pattern=DNS_LABEL, min_length=1, max_length=63,
        description="the service's namespace; none: your only team's, else 'default'",
    ),
]  # fmt: skip
TeamKey = Annotated[str, Path(pattern=TEAM_NAME, min_length=1, max_length=63, description="the team's name (or id)")]
BackupKey = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]*$", min_length=1, max_length=64)]
ServiceKey = Annotated[
    str, Path(pattern=DNS_LABEL, min_length=1, max_length=RELEASE_NAME_MAX, description="the service's name")
]


@dataclass(frozen=True)
class ServiceAccess:
    """A service the caller may act on with the role asked: its name, namespace and team (id)."""

    user: Principal
    name: str
    namespace: str
    team: str | None  # None: a namespace no team owns (platform admins only)


@dataclass(frozen=True)
class TeamAccess:
    user: Principal
    team: str  # id
    name: str


@dataclass(frozen=True)
class BackupAccess:
    user: Principal
    backup: BackupDetail
    team: str | None


def _parts(request: Request) -> Parts:
    found: Parts = request.app.state.parts
    return found


def namespace_for(user: Principal, teams: Teams, namespace: str | None) -> str:
    """The namespace a request means: the one named, else the home of the caller's only team, else 'default'."""
    if namespace is not None:
        return namespace
    if len(user.roles) == 1 and (home := teams.home(next(iter(user.roles)))):
        return home
    return "default"


def check(user: Principal, role: Role, team: str | None, teams: Teams, what: str | None = None) -> None:
    """403 unless ``user`` may act as ``role`` in ``team`` (which owns ``what``, when that is not the team)."""
    if user.may(role, team):
        return
    if team is None:
        raise Problem(403, f"{what or 'this'} belongs to no team, so only a platform admin may do this; ask one to "
                           "assign its namespace to your team")  # fmt: skip
    name = teams.names.get(team, team)
    owning = f", which owns {what}" if what else ""
    held = user.roles.get(team)
    if held is None:
        raise Problem(403, f"you are not in team {name!r}{owning}; ask an admin of that team to add you (this "
                           f"needs the {role} role)")  # fmt: skip
    raise Problem(403, f"this needs the {role} role in team {name!r}{owning}, and yours is {held}; ask an admin "
                       "of the team for more")  # fmt: skip


def require(role: Role) -> Any:
    """The dependency of a route on one service (``{name}`` in the path, ``namespace`` in the query): the
    caller must hold ``role`` in the team that owns the service's namespace. Usage:
    ``access: Annotated[ServiceAccess, require("admin")]`` (or one of the aliases below)."""

    async def service_access(
        request: Request,
        user: Annotated[Principal, Depends(current_user)],
        name: ServiceKey,
        namespace: NamespaceChoice = None,
    ) -> ServiceAccess:
        teams = await _parts(request).directory.teams()
        chosen = namespace_for(user, teams, namespace)
        team = teams.owners.get(chosen)
        check(user, role, team, teams, f"service {name!r} in namespace {chosen!r}")
        return ServiceAccess(user=user, name=name, namespace=chosen, team=team)

    service_access.__name__ = f"service_{role}"
    return Depends(service_access)


def require_team(role: Role) -> Any:
    """The dependency of a route on a team named by ``{team}`` in the path: the caller must hold ``role`` in it."""

    async def team_access(
        request: Request, user: Annotated[Principal, Depends(current_user)], team: TeamKey
    ) -> TeamAccess:
        teams = await _parts(request).directory.teams()
        found = teams.find(team)
        if found is None:
            raise Problem(404, f"there is no team {team!r}; list them with GET /api/v1/teams (qc team list)")
        check(user, role, found, teams)
        return TeamAccess(user=user, team=found, name=teams.names[found])

    team_access.__name__ = f"team_{role}"
    return Depends(team_access)


def require_backup(role: Role) -> Any:
    """The dependency of a route on one backup (``{backup_id}`` in the path): the caller must hold ``role`` in
    the team the backup belongs to."""

    async def backup_access(
        request: Request, user: Annotated[Principal, Depends(current_user)], backup_id: BackupKey
    ) -> BackupAccess:
        parts = _parts(request)
        # Asked as the platform: whose backup it is decides between 403 and going on.
        found = await parts.reads.ask(BACKUP, BackupRequest(backup_id=backup_id, caller=Caller.platform()))
        teams = await parts.directory.teams()
        check(user, role, found.team, teams, f"backup {backup_id!r}")
        return BackupAccess(user=user, backup=found, team=found.team)

    backup_access.__name__ = f"backup_{role}"
    return Depends(backup_access)


def require_owned(role: Role, contract: Contract[Any, Any], *, key: str, pattern: str, what: str) -> Any:
    """The dependency of a route on one thing a team owns (an alert rule, an alert, a silence, a notification
    channel) named by ``{key}`` in the path, which is also the field of ``contract``'s request naming it: the
    caller must hold ``role`` in the team it belongs to (platform admins, when it is the platform's). Gives
    ``(caller, the reply)``. Usage: ``Annotated[tuple[Principal, Rule], require_owned("admin", ALERT_RULE,
    key="rule_id", pattern=ID, what="alert rule")]``."""

    async def owned_access(
        request: Request, user: Annotated[Principal, Depends(current_user)], given: str
    ) -> tuple[Principal, Any]:
        parts = _parts(request)
        # Asked as the platform: whose it is decides between 403 and going on.
        found = await parts.reads.ask(contract, contract.request(**{key: given, "caller": Caller.platform()}))
        check(user, role, found.team, await parts.directory.teams(), f"{what} {given!r}")
        return user, found

    # The path parameter is made here, for this resource: its name ({rule_id}…) is its alias, and it is set as
    # an object because this module's annotations are strings FastAPI resolves in the module's globals.
    owned_access.__annotations__["given"] = Annotated[
        str, Path(alias=key, pattern=pattern, min_length=1, max_length=64, description=f"the {what}'s id")
    ]
    owned_access.__name__ = f"{key.removesuffix('_id')}_{role}"
    return Depends(owned_access)


ServiceViewer = Annotated[ServiceAccess, require("viewer")]
ServiceOperator = Annotated[ServiceAccess, require("operator")]
ServiceAdmin = Annotated[ServiceAccess, require("admin")]
TeamViewer = Annotated[TeamAccess, require_team("viewer")]
TeamAdmin = Annotated[TeamAccess, require_team("admin")]
TeamOwner = Annotated[TeamAccess, require_team("owner")]
BackupViewer = Annotated[BackupAccess, require_backup("viewer")]
BackupOperator = Annotated[BackupAccess, require_backup("operator")]
BackupAdmin = Annotated[BackupAccess, require_backup("admin")]
