"""What the auth and users routes share: the username rule and strict request bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
