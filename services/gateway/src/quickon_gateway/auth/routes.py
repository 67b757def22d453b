"""Logging in, personal API tokens, and (for admins) users."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from quickon_common.contracts.iam import ApiTokenCreated, ApiTokenRevoked, UserCreated, UserLoggedIn, UserLoginFailed

from ..deps import GatewayParts
from ..problems import Problem
from .dependencies import AdminUser, CurrentUser
from .first_admin import password_file
from .models import TokenRecord, UserRecord
from .passwords import hash_password, password_matches, weakness
from .tokens import as_utc

router = APIRouter(prefix="/api/v1", tags=["auth"])
USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class Me(BaseModel):
    user_id: str
    username: str
    is_admin: bool
    team: str | None


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


class UserView(BaseModel):
    user_id: str
    username: str
    is_admin: bool
    team: str | None
    created_at: datetime


class Users(BaseModel):
    users: list[UserView]


class UserRequest(Strict):
    username: str = Field(pattern=USERNAME)
    password: str = Field(min_length=1, max_length=1024)
    is_admin: bool = False


def token_view(record: TokenRecord, **extra: Any) -> dict[str, Any]:
    return {
        "token_id": record.id, "name": record.name, "kind": record.kind, "created_at": as_utc(record.created_at),
        "expires_at": as_utc(record.expires_at), "last_used_at": as_utc(record.last_used_at), **extra,
    }  # fmt: skip


def user_view(user: UserRecord) -> UserView:
    return UserView(
        user_id=user.id, username=user.username, is_admin=user.is_admin, team=user.team,
        created_at=as_utc(user.created_at) or user.created_at,
    )  # fmt: skip


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
    parts.login.succeeded(form.username)
    async with parts.service.outbox.begin(actor=user.username, team=user.team) as uow:
        record, token = parts.tokens.issue(
            uow.session, user, kind="session", name="login", ttl=timedelta(seconds=parts.settings.session_ttl_s)
        )
        uow.emit(UserLoggedIn(user_id=user.id, username=user.username), subject=f"users/{user.id}")
    assert record.expires_at is not None
    return AccessToken(access_token=token, expires_at=record.expires_at)


@router.get("/auth/me", response_model=Me, summary="Who the token belongs to")
async def me(user: CurrentUser) -> Me:
    return Me(user_id=user.user_id, username=user.username, is_admin=user.is_admin, team=user.team)


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
    async with parts.service.outbox.begin(actor=user.username, team=user.team) as uow:
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
    async with parts.service.outbox.begin(actor=user.username, team=user.team) as uow:
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


@router.post("/auth/password", status_code=204, summary="Change the caller's password (other logins end)")
async def change_password(parts: GatewayParts, user: CurrentUser, request: PasswordChange) -> Response:
    if problem := weakness(request.new_password):
        raise Problem(422, problem, errors=[{"field": "body.new_password", "message": problem}])
    async with parts.service.db.read_session() as session:
        record = await session.get(UserRecord, user.user_id)
    if record is None or not await password_matches(request.current_password, record.password_hash):
        raise Problem(403, "the current password is wrong")
    new_hash = await hash_password(request.new_password)
    now = datetime.now(UTC)
    async with parts.service.db.session() as session:
        record.password_hash, record.password_changed_at = new_hash, now
        session.add(record)
        sessions = await session.exec(
            select(TokenRecord).where(
                TokenRecord.user_id == user.user_id,
                TokenRecord.kind == "session",
                col(TokenRecord.revoked_at).is_(None),
            )
        )
        for token in sessions.all():
            if token.id != user.token_id:
                token.revoked_at = now
                session.add(token)
        await session.commit()
    parts.tokens.forget(user_id=user.user_id)
    if user.username == "admin":
        password_file(parts.service).unlink(missing_ok=True)  # the generated first password is no longer it
    return Response(status_code=204)


@router.get("/users", response_model=Users, summary="Every user (admins only)")
async def list_users(parts: GatewayParts, _admin: AdminUser) -> Users:
    async with parts.service.db.read_session() as session:
        rows = (await session.exec(select(UserRecord).order_by(col(UserRecord.username)))).all()
    return Users(users=[user_view(u) for u in rows])


@router.post("/users", status_code=201, response_model=UserView, summary="Add a user (admins only)")
async def create_user(parts: GatewayParts, admin: AdminUser, request: UserRequest) -> UserView:
    if problem := weakness(request.password):
        raise Problem(422, problem, errors=[{"field": "body.password", "message": problem}])
    now = datetime.now(UTC)
    user = UserRecord(
        id=str(uuid.uuid4()), username=request.username, password_hash=await hash_password(request.password),
        is_admin=request.is_admin, created_at=now, password_changed_at=now,
    )  # fmt: skip
    try:
        async with parts.service.outbox.begin(actor=admin.username, team=admin.team) as uow:
            uow.session.add(user)
            uow.emit(
                UserCreated(user_id=user.id, username=user.username, is_admin=user.is_admin), subject=f"users/{user.id}"
            )
    except IntegrityError:
        raise Problem(409, f"there is a user {request.username!r} already; pick another name") from None
    return user_view(user)
