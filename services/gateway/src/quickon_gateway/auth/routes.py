"""Logging in, who the caller is, personal API tokens, and changing one's own password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlmodel import col, select

from quickon_common.contracts.iam import (
    ApiTokenCreated,
    ApiTokenRevoked,
    UserLoggedIn,
    UserLoginFailed,
    UserPasswordChanged,
)

from ..deps import GatewayParts
from ..problems import Problem
from .dependencies import CurrentUser
from .first_admin import password_file
from .models import TokenRecord, UserRecord
from .passwords import hash_password, password_matches, weakness
from .tokens import as_utc
from .users import Membership, revoke_all
from .views import Strict

router = APIRouter(prefix="/api/v1", tags=["auth"])


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class Me(BaseModel):
    user_id: str
    username: str
    is_admin: bool = Field(description="a platform admin")
    teams: list[Membership]


class TokenView(BaseModel):
    token_id: str
    name: str
    kind: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class NewToken(TokenView):
    token: str = Field(description="the token itself: shown only in this answer")


class Tokens(BaseModel):
    tokens: list[TokenView]


class TokenRequest(Strict):
    name: str = Field(min_length=1, max_length=100, description="what the token is for, e.g. 'ci'")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, description="none: until revoked")


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


def token_view(record: TokenRecord, **extra: Any) -> dict[str, Any]:
    return {
        "token_id": record.id, "name": record.name, "kind": record.kind, "created_at": as_utc(record.created_at),
        "expires_at": as_utc(record.expires_at), "last_used_at": as_utc(record.last_used_at), **extra,
    }  # fmt: skip


@router.post("/auth/token", response_model=AccessToken, summary="Log in: a bearer token for a username and password")
async def log_in(
    parts: GatewayParts, form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request
) -> AccessToken:
    address = request.client.host if request.client else "unknown"
    parts.login.refuse_if_blocked(form.username, address)  # 429 before any password is checked
    async with parts.service.db.read_session() as session:
        user = (await session.exec(select(UserRecord).where(UserRecord.username == form.username))).first()
    async with parts.login.checking():
        matches = await password_matches(form.password, user.password_hash if user else None)
    if not matches or user is None:
        parts.login.failed(form.username, address)
        async with parts.service.outbox.begin(actor=form.username[:64]) as uow:
            uow.emit(
                UserLoginFailed(
                    username=form.username[:64], reason="unknown user" if user is None else "wrong password"
                ),
                subject="users",
            )
        raise Problem(401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    if user.disabled_at is not None:
        raise Problem(403, f"user {user.username!r} is disabled; ask a platform admin to enable it again")
    parts.login.succeeded(form.username)
    async with parts.service.outbox.begin(actor=user.username) as uow:
        record, token = parts.tokens.issue(
            uow.session, user, kind="session", name="login", ttl=timedelta(seconds=parts.settings.session_ttl_s)
        )
        uow.emit(UserLoggedIn(user_id=user.id, username=user.username), subject=f"users/{user.id}")
    assert record.expires_at is not None
    return AccessToken(access_token=token, expires_at=record.expires_at)


@router.get("/auth/me", response_model=Me, summary="Who the token belongs to")
async def me(parts: GatewayParts, user: CurrentUser) -> Me:
    # What the gateway authorizes this caller with: the checked token's roles and the teams' names, both kept in
    # memory while iam events are heard. The console asks for it first on every page: no database read.
    names = (await parts.directory.teams()).names
    teams = [Membership(team=team, name=names[team], role=role) for team, role in user.roles.items() if team in names]
    teams.sort(key=lambda m: m.name)
    return Me(user_id=user.user_id, username=user.username, is_admin=user.is_admin, teams=teams)


@router.get("/auth/tokens", response_model=Tokens, summary="The caller's tokens that still work")
async def list_tokens(parts: GatewayParts, user: CurrentUser) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with parts.service.db.read_session() as session:
        rows = (
            await session.exec(
                select(TokenRecord)
                .where(TokenRecord.user_id == user.user_id, col(TokenRecord.revoked_at).is_(None))
                .order_by(col(TokenRecord.created_at))
            )
        ).all()
    alive = [r for r in rows if (as_utc(r.expires_at) or now) >= now]
    return {"tokens": [token_view(r) for r in alive]}


@router.post("/auth/tokens", status_code=201, response_model=NewToken, summary="A personal API token for scripts")
async def create_token(parts: GatewayParts, user: CurrentUser, request: TokenRequest) -> dict[str, Any]:
    ttl = timedelta(days=request.expires_in_days) if request.expires_in_days else None
    async with parts.service.outbox.begin(actor=user.username) as uow:
        owner = await uow.session.get(UserRecord, user.user_id)
        if owner is None:
            raise Problem(401, "your user no longer exists")
        record, token = parts.tokens.issue(uow.session, owner, kind="api", name=request.name, ttl=ttl)
        uow.emit(
            ApiTokenCreated(token_id=record.id, user_id=user.user_id, name=request.name), subject=f"tokens/{record.id}"
        )
    return token_view(record, token=token)


@router.delete("/auth/tokens/{token_id}", status_code=204, summary="Revoke a token ('current': the calling one)")
async def revoke_token(
    parts: GatewayParts, user: CurrentUser, token_id: Annotated[str, Path(min_length=1, max_length=36)]
) -> Response:
    token_id = user.token_id if token_id == "current" else token_id
    async with parts.service.outbox.begin(actor=user.username) as uow:
        record = await uow.session.get(TokenRecord, token_id)
        if record is None or record.revoked_at is not None or (record.user_id != user.user_id and not user.is_admin):
            raise Problem(
                404, f"you have no token {token_id!r} that still works; list them with GET /api/v1/auth/tokens"
            )
        record.revoked_at = datetime.now(UTC)
        uow.session.add(record)
        uow.emit(ApiTokenRevoked(token_id=record.id, user_id=record.user_id), subject=f"tokens/{record.id}")
    parts.tokens.forget(token_id=token_id)
    return Response(status_code=204)


@router.post(
    "/auth/password", status_code=204,
    summary="Change the caller's password: every other token of theirs (API tokens too) is revoked",
)  # fmt: skip
async def change_password(parts: GatewayParts, user: CurrentUser, request: PasswordChange) -> Response:
    if problem := weakness(request.new_password):
        raise Problem(422, problem, errors=[{"field": "body.new_password", "message": problem}])
    async with parts.service.db.read_session() as session:
        record = await session.get(UserRecord, user.user_id)
    if record is None or not await password_matches(request.current_password, record.password_hash):
        raise Problem(403, "the current password is wrong")
    new_hash = await hash_password(request.new_password)
    async with parts.service.outbox.begin(actor=user.username) as uow:
        record.password_hash, record.password_changed_at = new_hash, datetime.now(UTC)
        uow.session.add(record)
        # The calling token stays: whoever changed the password holds it and knew the old one.
        revoked = await revoke_all(uow.session, user.user_id, but=user.token_id)
        uow.emit(
            UserPasswordChanged(user_id=user.user_id, username=user.username, tokens_revoked=revoked),
            subject=f"users/{user.user_id}",
        )
    parts.tokens.forget(user_id=user.user_id)
    if user.username == "admin":
        password_file(parts.service).unlink(missing_ok=True)  # the generated first password is no longer it
    return Response(status_code=204)
