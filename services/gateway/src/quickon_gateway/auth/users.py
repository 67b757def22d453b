"""Users, for platform admins: add, read, disable and enable, reset a password, delete.

Disabling, resetting a password and deleting revoke every token of the user (API tokens too) in the
same transaction as the change, and publish an iam event that makes every gateway replica forget its
cached checks at once (:mod:`quickon_gateway.iam_events`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from quickon_common.contracts.iam import UserCreated, UserDeleted, UserDisabled, UserEnabled, UserPasswordChanged

from ..deps import GatewayParts, Parts
from ..problems import Problem
from ..teams.models import MemberRecord, TeamRecord
from .dependencies import AdminUser
from .models import TokenRecord, UserRecord
from .passwords import hash_password, weakness
from .tokens import as_utc
from .views import USERNAME, Strict

router = APIRouter(prefix="/api/v1/users", tags=["users"])
UserKey = Annotated[str, Path(min_length=1, max_length=64, description="the user's id or username")]


class Membership(BaseModel):
    team: str = Field(description="the team's id")
    name: str = Field(description="the team's name")
    role: str


class UserView(BaseModel):
    user_id: str
    username: str
    is_admin: bool = Field(description="a platform admin")
    disabled: bool
    teams: list[Membership]
    created_at: datetime


class Users(BaseModel):
    users: list[UserView]


class UserRequest(Strict):
    username: str = Field(pattern=USERNAME)
    password: str = Field(min_length=1, max_length=1024)
    is_admin: bool = False


class PasswordReset(Strict):
    password: str = Field(min_length=1, max_length=1024, description="the new password (tell the user)")


async def memberships(session: AsyncSession, user_ids: list[str]) -> dict[str, list[Membership]]:
    rows = (
        await session.exec(
            select(MemberRecord, TeamRecord)
            .join(TeamRecord, col(TeamRecord.id) == col(MemberRecord.team_id))
            .where(col(MemberRecord.user_id).in_(user_ids))
            .order_by(col(TeamRecord.name))
        )
    ).all()
    found: dict[str, list[Membership]] = {}
    for member, team in rows:
        found.setdefault(member.user_id, []).append(Membership(team=team.id, name=team.name, role=member.role))
    return found


def user_view(user: UserRecord, teams: list[Membership]) -> UserView:
    return UserView(
        user_id=user.id, username=user.username, is_admin=user.is_admin, disabled=user.disabled_at is not None,
        teams=teams, created_at=as_utc(user.created_at) or user.created_at,
    )  # fmt: skip


async def find_user(session: AsyncSession, key: str) -> UserRecord:
    """The user of that id or username, or 404."""
    found = (
        await session.exec(select(UserRecord).where(or_(col(UserRecord.id) == key, col(UserRecord.username) == key)))
    ).first()
    if found is None:
        raise Problem(404, f"there is no user {key!r}; list them with GET /api/v1/users (qc user list)")
    return found


async def revoke_all(session: AsyncSession, user_id: str, *, but: str | None = None) -> int:
    """Revoke every working token of the user (but ``but``); how many."""
    query = update(TokenRecord).where(col(TokenRecord.user_id) == user_id, col(TokenRecord.revoked_at).is_(None))
    if but is not None:
        query = query.where(col(TokenRecord.id) != but)
    result = await session.exec(query.values(revoked_at=datetime.now(UTC)))
    return int(result.rowcount or 0)


async def _view(parts: Parts, user: UserRecord) -> UserView:
    async with parts.service.db.read_session() as session:
        teams = await memberships(session, [user.id])
    return user_view(user, teams.get(user.id, []))


@router.get("", response_model=Users, summary="Every user (platform admins)")
async def list_users(parts: GatewayParts, _admin: AdminUser) -> Users:
    async with parts.service.db.read_session() as session:
        rows = (await session.exec(select(UserRecord).order_by(col(UserRecord.username)))).all()
        teams = await memberships(session, [u.id for u in rows])
    return Users(users=[user_view(u, teams.get(u.id, [])) for u in rows])


@router.post("", status_code=201, response_model=UserView, summary="Add a user (platform admins)")
async def create_user(parts: GatewayParts, admin: AdminUser, request: UserRequest) -> UserView:
    if problem := weakness(request.password):
        raise Problem(422, problem, errors=[{"field": "body.password", "message": problem}])
    now = datetime.now(UTC)
    user = UserRecord(
        id=str(uuid.uuid4()), username=request.username, password_hash=await hash_password(request.password),
        is_admin=request.is_admin, created_at=now, password_changed_at=now,
    )  # fmt: skip
    try:
        async with parts.service.outbox.begin(actor=admin.username) as uow:
            uow.session.add(user)
            uow.emit(
                UserCreated(user_id=user.id, username=user.username, is_admin=user.is_admin), subject=f"users/{user.id}"
            )
    except IntegrityError:
        raise Problem(409, f"there is a user {request.username!r} already; pick another name") from None
    return user_view(user, [])


@router.get("/{user}", response_model=UserView, summary="One user and their teams (platform admins)")
async def get_user(parts: GatewayParts, _admin: AdminUser, user: UserKey) -> UserView:
    async with parts.service.db.read_session() as session:
        found = await find_user(session, user)
    return await _view(parts, found)


async def _set_disabled(parts: Parts, admin_name: str, admin_id: str, key: str, *, disabled: bool) -> UserView:
    async with parts.service.outbox.begin(actor=admin_name) as uow:
        found = await find_user(uow.session, key)
        if found.id == admin_id and disabled:
            raise Problem(409, "you cannot disable yourself; another platform admin can")
        if (found.disabled_at is not None) != disabled:
            found.disabled_at = datetime.now(UTC) if disabled else None
            uow.session.add(found)
            if disabled:
                await revoke_all(uow.session, found.id)
            change = UserDisabled if disabled else UserEnabled
            uow.emit(change(user_id=found.id, username=found.username), subject=f"users/{found.id}")
    parts.tokens.forget(user_id=found.id)
    return await _view(parts, found)


@router.post("/{user}/disable", response_model=UserView, summary="Disable a user: their tokens stop at once")
async def disable_user(parts: GatewayParts, admin: AdminUser, user: UserKey) -> UserView:
    return await _set_disabled(parts, admin.username, admin.user_id, user, disabled=True)


@router.post("/{user}/enable", response_model=UserView, summary="Enable a disabled user again (they log in anew)")
async def enable_user(parts: GatewayParts, admin: AdminUser, user: UserKey) -> UserView:
    return await _set_disabled(parts, admin.username, admin.user_id, user, disabled=False)


@router.post("/{user}/password", status_code=204, summary="Reset a user's password; their tokens are revoked")
async def reset_password(parts: GatewayParts, admin: AdminUser, user: UserKey, request: PasswordReset) -> Response:
    if problem := weakness(request.password):
        raise Problem(422, problem, errors=[{"field": "body.password", "message": problem}])
    new_hash = await hash_password(request.password)
    async with parts.service.outbox.begin(actor=admin.username) as uow:
        found = await find_user(uow.session, user)
        if found.id == admin.user_id:
            raise Problem(409, "change your own password with POST /api/v1/auth/password (it asks for the current one)")
        found.password_hash, found.password_changed_at = new_hash, datetime.now(UTC)
        uow.session.add(found)
        revoked = await revoke_all(uow.session, found.id)
        uow.emit(
            UserPasswordChanged(user_id=found.id, username=found.username, reset_by_admin=True, tokens_revoked=revoked),
            subject=f"users/{found.id}",
        )
    parts.tokens.forget(user_id=found.id)
    return Response(status_code=204)


@router.delete("/{user}", status_code=204, summary="Delete a user, their tokens and memberships")
async def delete_user(parts: GatewayParts, admin: AdminUser, user: UserKey) -> Response:
    async with parts.service.outbox.begin(actor=admin.username) as uow:
        found = await find_user(uow.session, user)
        if found.id == admin.user_id:
            raise Problem(409, "you cannot delete yourself; another platform admin can")
        await uow.session.exec(delete(MemberRecord).where(col(MemberRecord.user_id) == found.id))
        await uow.session.exec(delete(TokenRecord).where(col(TokenRecord.user_id) == found.id))
        await uow.session.delete(found)
        uow.emit(UserDeleted(user_id=found.id, username=found.username), subject=f"users/{found.id}")
    parts.tokens.forget(user_id=found.id)
    return Response(status_code=204)
