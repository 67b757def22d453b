"""The caller of every protected route, from its bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from ..deps import Parts
from ..principal import Principal
from ..problems import Problem
from .tokens import TokenRefused

TOKEN_URL = "/api/v1/auth/token"
# Declares the scheme in the OpenAPI document (the docs' Authorize button); refusals are ours.
bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def current_user(request: Request, token: Annotated[str | None, Depends(bearer)]) -> Principal:
    """The caller, or 401 with what to do. (The token store is taken from the app, not from the
    ``GatewayParts`` dependency: one dependency less to solve on every request.)"""
    parts: Parts = request.app.state.parts
    if not token:
        raise Problem(
            401,
            "this needs a bearer token: log in with POST /api/v1/auth/token (or `qc login`) and send "
            "'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return await parts.tokens.check(token)
    except TokenRefused as refused:
        raise Problem(401, str(refused), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


async def admin_user(user: Annotated[Principal, Depends(current_user)]) -> Principal:
    """The caller, who must be an admin (403 otherwise)."""
    if not user.is_admin:
        raise Problem(403, "only an admin may do this; ask one of your platform's admins")
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
