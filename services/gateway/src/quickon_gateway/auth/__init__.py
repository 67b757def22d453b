"""Authentication: users, logins, personal API tokens; the caller of every route (``CurrentUser``)."""

from __future__ import annotations

from sqlmodel import SQLModel

from .dependencies import AdminUser, CurrentUser
from .models import TokenRecord, UserRecord

MODELS: list[type[SQLModel]] = [UserRecord, TokenRecord]

__all__ = ["MODELS", "AdminUser", "CurrentUser"]
