"""Who is calling: the user behind a token, as every route sees them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. ``team`` is where their events and services belong (teams come later;
    today every user is in the default team, ``None``)."""

    user_id: str
    username: str
    is_admin: bool
    token_id: str
    team: str | None = None
