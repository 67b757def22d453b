"""Teams (``/api/v1/teams``): create (platform admins), read, rename and delete (owners), members (admins),
namespaces (platform admins assign them). Every change is an iam event, so it reaches the audit log
and makes every gateway replica forget what it kept of teams."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete
from sqlmodel import col, select

from quickon_common.contracts.iam import (
    TeamCreated,
    TeamDeleted,
    TeamMemberAdded,
    TeamMemberRemoved,
    TeamMemberRoleChanged,
    TeamNamespaceAssigned,
    TeamNamespaceReleased,
    TeamRenamed,
)
from quickon_common.contracts.queries.deployer import SERVICES, ServicesRequest
from quickon_common.names import reserved_namespace

from ..auth import AdminUser, CurrentUser
from ..auth.models import UserRecord
from ..auth.views import USERNAME, Strict
from ..deps import GatewayParts, Parts
from ..problems import Problem
from .access import TEAM_NAME, TeamAdmin, TeamOwner, TeamViewer
from .models import MemberRecord, NamespaceRecord, TeamRecord
from .roles import Role, at_least

router = APIRouter(prefix="/api/v1/teams", tags=["teams"])
NamespaceKey = Annotated[str, Path(pattern=TEAM_NAME, min_length=1, max_length=63)]
Username = Annotated[str, Path(pattern=USERNAME, max_length=64)]


class TeamView(BaseModel):
    team: str = Field(description="the team's id: its name when made; services and events name it")
    name: str
    namespaces: list[str]
    role: str | None = Field(default=None, description="the caller's role in it (none: a platform admin's view)")


class Teams(BaseModel):
    teams: list[TeamView]


class Member(BaseModel):
    user_id: str
    username: str
    role: Role


class Members(BaseModel):
    members: list[Member]


class Namespaces(BaseModel):
    namespaces: list[str]


class TeamRequest(Strict):
    name: str = Field(pattern=TEAM_NAME, min_length=1, max_length=63, description="lowercase letters, digits, '-'")
    namespace: str | None = Field(
        default=None, pattern=TEAM_NAME, max_length=63, description="its first namespace; none: one named after it"
    )


class TeamRename(Strict):
    name: str = Field(pattern=TEAM_NAME, min_length=1, max_length=63)


class MemberRequest(Strict):
    username: str = Field(pattern=USERNAME, max_length=64)
    role: Role


class NamespaceRequest(Strict):
    namespace: str = Field(pattern=TEAM_NAME, min_length=1, max_length=63)


async def _view(parts: Parts, team_id: str, role: str | None) -> TeamView:
    teams = await parts.directory.teams()
    return TeamView(team=team_id, name=teams.names[team_id], namespaces=teams.namespaces.get(team_id, []), role=role)


def _namespace_problem(parts: Parts, namespace: str) -> None:
    if problem := reserved_namespace(namespace, platform_namespace=parts.service.settings.platform_namespace):
        raise Problem(422, problem, errors=[{"field": "body.namespace", "message": problem}])


@router.get("", response_model=Teams, summary="Your teams (every team, for a platform admin)")
async def list_teams(parts: GatewayParts, user: CurrentUser) -> Teams:
    teams = await parts.directory.teams()
    shown = sorted(teams.names if user.is_admin else user.roles, key=lambda t: teams.names.get(t, t))
    return Teams(
        teams=[
            TeamView(team=t, name=teams.names[t], namespaces=teams.namespaces.get(t, []), role=user.roles.get(t))
            for t in shown
            if t in teams.names
        ]
    )


@router.post("", status_code=201, response_model=TeamView, summary="Create a team and its namespace (platform admins)")
async def create_team(parts: GatewayParts, admin: AdminUser, request: TeamRequest) -> TeamView:
    namespace = request.namespace or request.name
    _namespace_problem(parts, namespace)
    known = await parts.directory.teams()
    if known.find(request.name) is not None:
        raise Problem(409, f"there is a team {request.name!r} already (or one that was called so); pick another name")
    if (owner := known.owners.get(namespace)) is not None:
        raise Problem(409, f"namespace {namespace!r} belongs to team {known.names.get(owner, owner)!r}; name another")
    now = datetime.now(UTC)
    async with parts.service.outbox.begin(actor=admin.username, team=request.name) as uow:
        uow.session.add(TeamRecord(id=request.name, name=request.name, created_at=now))
        uow.session.add(NamespaceRecord(namespace=namespace, team_id=request.name, assigned_at=now))
        uow.emit(TeamCreated(team_id=request.name, name=request.name), subject=f"teams/{request.name}")
        uow.emit(TeamNamespaceAssigned(team_id=request.name, namespace=namespace), subject=f"teams/{request.name}")
    parts.directory.forget()
    return await _view(parts, request.name, None)


@router.get("/{team}", response_model=TeamView, summary="One team (its members may read it)")
async def get_team(parts: GatewayParts, access: TeamViewer) -> TeamView:
    return await _view(parts, access.team, access.user.roles.get(access.team))


@router.patch("/{team}", response_model=TeamView, summary="Rename a team (owners); its id stays")
async def rename_team(parts: GatewayParts, access: TeamOwner, request: TeamRename) -> TeamView:
    known = await parts.directory.teams()
    if (other := known.find(request.name)) is not None and other != access.team:
        raise Problem(409, f"there is a team {request.name!r} already (or one that was called so); pick another name")
    async with parts.service.outbox.begin(actor=access.user.username, team=access.team) as uow:
        record = await uow.session.get(TeamRecord, access.team)
        if record is None:
            raise Problem(404, f"there is no team {access.name!r} any more")
        previous, record.name = record.name, request.name
        uow.session.add(record)
        uow.emit(
            TeamRenamed(team_id=record.id, name=request.name, previous_name=previous), subject=f"teams/{record.id}"
        )
    parts.directory.forget()
    return await _view(parts, access.team, access.user.roles.get(access.team))


@router.delete("/{team}", status_code=204, summary="Delete a team that has no services left (owners)")
async def delete_team(parts: GatewayParts, access: TeamOwner) -> Response:
    left = await parts.reads.ask(SERVICES, ServicesRequest(team=access.team, limit=1, caller=access.user.caller()))
    if left.services:
        first = left.services[0]
        raise Problem(409, f"team {access.name!r} still has services (such as {first.service!r} in "
                           f"{first.namespace!r}); uninstall them first")  # fmt: skip
    async with parts.service.outbox.begin(actor=access.user.username, team=access.team) as uow:
        await uow.session.exec(delete(MemberRecord).where(col(MemberRecord.team_id) == access.team))
        await uow.session.exec(delete(NamespaceRecord).where(col(NamespaceRecord.team_id) == access.team))
        await uow.session.exec(delete(TeamRecord).where(col(TeamRecord.id) == access.team))
        uow.emit(TeamDeleted(team_id=access.team, name=access.name), subject=f"teams/{access.team}")
    parts.directory.forget()
    parts.tokens.forget_all()
    return Response(status_code=204)


@router.get("/{team}/members", response_model=Members, summary="A team's members and their roles")
async def list_members(parts: GatewayParts, access: TeamViewer) -> Members:
    async with parts.service.db.read_session() as session:
        rows = (
            await session.exec(
                select(MemberRecord, UserRecord)
                .join(UserRecord, col(UserRecord.id) == col(MemberRecord.user_id))
                .where(MemberRecord.team_id == access.team)
                .order_by(col(UserRecord.username))
            )
        ).all()
    return Members(members=[Member(user_id=u.id, username=u.username, role=m.role) for m, u in rows])  # type: ignore[arg-type]


@router.post("/{team}/members", response_model=Member, summary="Add a member or change their role (team admins)")
async def set_member(parts: GatewayParts, access: TeamAdmin, request: MemberRequest) -> Member:
    user = access.user
    if request.role == "owner" and not user.may("owner", access.team):
        raise Problem(403, "only an owner of the team (or a platform admin) may make another owner")
    async with parts.service.outbox.begin(actor=user.username, team=access.team) as uow:
        found = (await uow.session.exec(select(UserRecord).where(UserRecord.username == request.username))).first()
        if found is None:
            raise Problem(404, f"there is no user {request.username!r}; a platform admin adds users (qc user add)",
                          errors=[{"field": "body.username", "message": "no such user"}])  # fmt: skip
        member = await uow.session.get(MemberRecord, (access.team, found.id))
        if member is not None and member.role == "owner" and not user.may("owner", access.team):
            raise Problem(403, "only an owner of the team (or a platform admin) may change an owner's role")
        subject = f"teams/{access.team}"
        if member is None:
            uow.session.add(MemberRecord(team_id=access.team, user_id=found.id, role=request.role,
                                         added_at=datetime.now(UTC)))  # fmt: skip
            uow.emit(TeamMemberAdded(team_id=access.team, user_id=found.id, role=request.role), subject=subject)
        elif member.role != request.role:
            previous, member.role = member.role, request.role
            uow.session.add(member)
            uow.emit(TeamMemberRoleChanged(team_id=access.team, user_id=found.id, role=request.role,
                                           previous_role=previous), subject=subject)  # type: ignore[arg-type]  # fmt: skip
    parts.tokens.forget(user_id=found.id)
    return Member(user_id=found.id, username=found.username, role=request.role)


@router.delete("/{team}/members/{username}", status_code=204, summary="Remove a member (team admins)")
async def remove_member(parts: GatewayParts, access: TeamAdmin, username: Username) -> Response:
    user = access.user
    async with parts.service.outbox.begin(actor=user.username, team=access.team) as uow:
        found = (await uow.session.exec(select(UserRecord).where(UserRecord.username == username))).first()
        member = await uow.session.get(MemberRecord, (access.team, found.id)) if found else None
        if found is None or member is None:
            raise Problem(404, f"{username!r} is not a member of team {access.name!r}")
        if at_least(member.role, "owner") and not user.may("owner", access.team):
            raise Problem(403, "only an owner of the team (or a platform admin) may remove an owner")
        await uow.session.delete(member)
        uow.emit(TeamMemberRemoved(team_id=access.team, user_id=found.id), subject=f"teams/{access.team}")
    parts.tokens.forget(user_id=found.id)
    return Response(status_code=204)


@router.get("/{team}/namespaces", response_model=Namespaces, summary="The namespaces a team's services go into")
async def list_namespaces(parts: GatewayParts, access: TeamViewer) -> Namespaces:
    teams = await parts.directory.teams()
    return Namespaces(namespaces=teams.namespaces.get(access.team, []))


@router.post("/{team}/namespaces", response_model=Namespaces, summary="Give a team a namespace (platform admins)")
async def assign_namespace(
    parts: GatewayParts, _admin: AdminUser, access: TeamViewer, request: NamespaceRequest
) -> Namespaces:
    _namespace_problem(parts, request.namespace)
    known = await parts.directory.teams()
    owner = known.owners.get(request.namespace)
    if owner is not None and owner != access.team:
        raise Problem(409, f"namespace {request.namespace!r} belongs to team {known.names.get(owner, owner)!r}; "
                           "release it there first")  # fmt: skip
    if owner is None:
        async with parts.service.outbox.begin(actor=access.user.username, team=access.team) as uow:
            uow.session.add(NamespaceRecord(namespace=request.namespace, team_id=access.team,
                                            assigned_at=datetime.now(UTC)))  # fmt: skip
            uow.emit(TeamNamespaceAssigned(team_id=access.team, namespace=request.namespace),
                     subject=f"teams/{access.team}")  # fmt: skip
        parts.directory.forget()
    return Namespaces(namespaces=(await parts.directory.teams()).namespaces.get(access.team, []))


@router.delete(
    "/{team}/namespaces/{namespace}", status_code=204,
    summary="Take a namespace from a team (platform admins; only when none of its services are there)",
)  # fmt: skip
async def release_namespace(
    parts: GatewayParts, _admin: AdminUser, access: TeamViewer, namespace: NamespaceKey
) -> Response:
    known = await parts.directory.teams()
    if known.owners.get(namespace) != access.team:
        raise Problem(404, f"team {access.name!r} has no namespace {namespace!r}")
    body = ServicesRequest(namespace=namespace, limit=1, caller=access.user.caller())
    if (await parts.reads.ask(SERVICES, body)).services:
        raise Problem(409, f"namespace {namespace!r} still has services; uninstall them first")
    async with parts.service.outbox.begin(actor=access.user.username, team=access.team) as uow:
        await uow.session.exec(delete(NamespaceRecord).where(col(NamespaceRecord.namespace) == namespace))
        uow.emit(TeamNamespaceReleased(team_id=access.team, namespace=namespace), subject=f"teams/{access.team}")
    parts.directory.forget()
    return Response(status_code=204)
