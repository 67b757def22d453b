"""The caller of every protected route, from its bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param

from ..deps import Parts
from ..principal import Principal
from ..problems import Problem
from .tokens import TokenRefused

TOKEN_URL = "/api/v1/auth/token"


class BearerCaller(OAuth2PasswordBearer):
    """The OAuth2 password scheme of the OpenAPI document (the docs' Authorize button) whose dependency is
    the caller itself, not the token: every protected route solves one dependency for it instead of two
    (FastAPI solves each level of a chain anew on every request, and this is the hot path of them all)."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        """The caller, or 401 with what to do. (The token store is taken from the app, not from the
        ``GatewayParts`` dependency, for the same reason.)"""
        authorization = request.headers.get("Authorization")
        scheme, token = get_authorization_scheme_param(authorization)
        if not authorization or scheme.lower() != "bearer" or not token:
            raise Problem(
                401,
                "this needs a bearer token: log in with POST /api/v1/auth/token (or `qc login`) and send "
                "'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        parts: Parts = request.app.state.parts
        try:
            return await parts.tokens.check(token)
        except TokenRefused as refused:
            raise Problem(401, str(refused), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


# Named as FastAPI names its own scheme, so the OpenAPI document (and clients built from it) stay the same.
current_user = BearerCaller(tokenUrl=TOKEN_URL, scheme_name="OAuth2PasswordBearer", auto_error=False)


async def admin_user(user: Annotated[Principal, Depends(current_user)]) -> Principal:
    """The caller, who must be an admin (403 otherwise)."""
    if not user.is_admin:
        raise Problem(403, "only an admin may do this; ask one of your platform's admins")
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
