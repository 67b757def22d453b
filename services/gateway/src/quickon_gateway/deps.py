"""What routes are given: the gateway's parts, built once in :func:`quickon_gateway.app.create_gateway`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from quickon_common.sealing import Sealer
from quickon_common.service import Service

from .reads import Reads
from .settings import GatewaySettings

if TYPE_CHECKING:  # auth's and teams' dependencies import this module
    from .auth.throttle import LoginThrottle
    from .auth.tokens import TokenStore
    from .teams.directory import Directory


@dataclass
class Parts:
    """The gateway's long-lived objects, shared by every request."""

    service: Service
    settings: GatewaySettings
    reads: Reads
    tokens: TokenStore
    directory: Directory  # the teams and the namespaces each owns
    sealer: Sealer  # seals the secret values of requests with the platform key
    login: LoginThrottle  # failed logins back off; password checks are bounded


async def parts(request: Request) -> Parts:  # async: FastAPI runs a plain def in a thread
    found: Parts = request.app.state.parts
    return found


GatewayParts = Annotated[Parts, Depends(parts)]
