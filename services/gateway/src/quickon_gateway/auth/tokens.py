"""Bearer tokens: opaque random strings, looked up by digest, revocable, briefly cached.

A token is ``qc_`` + 256 random bits; only its SHA-256 digest is stored. Checking one costs a few
reads (the token, its user, the user's teams), so a checked token is trusted for ``cache_s`` seconds
without the database (the hot path of every request) — but only while this replica hears every iam
event (:class:`quickon_gateway.iam_events.IamFollower`): revoking a token, disabling a user or
changing a membership on any replica publishes one, and every replica drops its cache at once.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from quickon_common.db import Database

from ..flights import SingleFlight
from ..iam_events import IamFollower
from ..limits import Bounded
from ..principal import Principal
from ..teams.models import MemberRecord
from .models import TokenRecord, UserRecord

PREFIX = "qc_"
LAST_USED_EVERY_S = 60.0  # last_used_at is a hint: written at most this often per token
CACHED_TOKENS = 100_000  # checked tokens kept in memory (the least recently checked go first)


class TokenRefused(Exception):
    """The token does not give access; the message says why and what to do."""


@dataclass(slots=True)
class _Checked:
    principal: Principal
    expires_at: datetime | None
    until: float  # monotonic time the cache entry is trusted until


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; every one stored here is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class TokenStore:
    """Issues, checks and revokes tokens."""

    def __init__(self, db: Database, follower: IamFollower, *, cache_s: float) -> None:
        self.db = db
        self.follower = follower
        self.cache_s = cache_s
        self._cache: Bounded[str, _Checked] = Bounded(CACHED_TOKENS)
        self._last_used: Bounded[str, float] = Bounded(CACHED_TOKENS)
        self._loading: SingleFlight[_Checked] = SingleFlight()
        follower.on_change(self.forget_all)

    def issue(
        self, session: AsyncSession, user: UserRecord, *, kind: str, name: str, ttl: timedelta | None
    ) -> tuple[TokenRecord, str]:
        """A new token for ``user``, added to ``session``; returns the record and the token (shown once)."""
        token = PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        record = TokenRecord(
            id=str(uuid.uuid4()), digest=digest(token), user_id=user.id, kind=kind, name=name, created_at=now,
            expires_at=now + ttl if ttl else None,
        )  # fmt: skip
        session.add(record)
        return record, token

    async def check(self, token: str) -> Principal:
        """The caller behind ``token``, or :class:`TokenRefused`."""
        key = digest(token)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is None or cached.until < now or not self.follower.trusted():
            cached = await self._loading.run(key, lambda: self._load(key, now))
        expires_at = cached.expires_at
        if expires_at is not None and expires_at <= datetime.now(UTC):
            self._cache.pop(key, None)
            raise TokenRefused(
                f"the token expired at {expires_at.isoformat(timespec='seconds')}; log in again (qc login)"
            )
        return cached.principal

    async def _load(self, key: str, now: float) -> _Checked:
        async with self.db.read_session() as session:
            found = (await session.exec(select(TokenRecord).where(TokenRecord.digest == key))).first()
            user = await session.get(UserRecord, found.user_id) if found else None
            memberships = (
                (await session.exec(select(MemberRecord).where(MemberRecord.user_id == user.id))).all() if user else []
            )
        if found is None or user is None:
            self._cache.pop(key, None)
            raise TokenRefused("the token is not valid; log in again (qc login) or create a new API token")
        if found.revoked_at is not None:
            self._cache.pop(key, None)
            raise TokenRefused("the token was revoked; log in again (qc login) or create a new API token")
        if user.disabled_at is not None:
            self._cache.pop(key, None)
            raise TokenRefused(f"user {user.username!r} is disabled; ask a platform admin to enable it again")
        if now - self._last_used.get(found.id, -LAST_USED_EVERY_S) >= LAST_USED_EVERY_S:
            self._last_used[found.id] = now
            async with self.db.session() as session:
                await session.exec(
                    update(TokenRecord).where(col(TokenRecord.id) == found.id).values(last_used_at=datetime.now(UTC))
                )
                await session.commit()
        checked = _Checked(
            Principal(
                user_id=user.id,
                username=user.username,
                is_admin=user.is_admin,
                token_id=found.id,
                roles=MappingProxyType({m.team_id: m.role for m in memberships}),
            ),
            as_utc(found.expires_at),
            now + self.cache_s,
        )
        if self.follower.trusted():
            self._cache[key] = checked
        return checked

    def forget_all(self) -> None:
        self._cache.clear()

    def forget(self, *, token_id: str | None = None, user_id: str | None = None) -> None:
        """Drop cached checks of a revoked token (or of every token of a user), so they stop at once."""
        for key, checked in list(self._cache.items()):
            if checked.principal.token_id == token_id or checked.principal.user_id == user_id:
                del self._cache[key]
