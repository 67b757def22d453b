"""Teams: members with roles, the namespaces each owns, and the authorization every route declares."""

from __future__ import annotations

from sqlmodel import SQLModel

from .models import DEFAULT_TEAM, MemberRecord, NamespaceRecord, TeamRecord

MODELS: list[type[SQLModel]] = [TeamRecord, MemberRecord, NamespaceRecord]

__all__ = ["DEFAULT_TEAM", "MODELS", "MemberRecord", "NamespaceRecord", "TeamRecord"]
