"""A service's secret values, revealed: the one way back to them in clear once they are sealed.

An app's generated admin password, a database password given at install: the person who runs the
service needs them, and nothing else shows them (the service's detail masks them, events carry
them sealed). The deployer answers with them still sealed under the platform key; the gateway opens
them here, after recording who asked in the ``iam`` context (so the audit log keeps it), and only
then answers. The answer is not to be cached.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import InterfaceError, OperationalError

from quickon_common.contracts.iam import ServiceSecretsRevealed
from quickon_common.contracts.queries.deployer import SEALED_SECRETS, ServiceRequest
from quickon_common.sealing import SealError

from ..deps import GatewayParts
from ..problems import Problem
from ..teams.access import ServiceAdmin

router = APIRouter(prefix="/api/v1/services", tags=["services"])

# Who may see a service's secret values in clear: an admin of the team that owns it (or a platform admin);
# the one place that rule is named.
SecretRevealer = ServiceAdmin


class RevealedSecrets(BaseModel):
    service: str
    namespace: str
    values: dict[str, Any] = Field(description="the secret values only, nested as the chart's values")
    secret_paths: list[str] = Field(description="the path of each secret value, e.g. users[0].password")


@router.get(
    "/{name}/secrets", response_model=RevealedSecrets,
    summary="A service's secret values in clear (each reveal is recorded in the audit log)",
)  # fmt: skip
async def reveal_secrets(parts: GatewayParts, access: SecretRevealer, response: Response) -> RevealedSecrets:
    user, name, namespace = access.user, access.name, access.namespace
    found = await parts.reads.ask(
        SEALED_SECRETS, ServiceRequest(service=name, namespace=namespace, caller=user.caller())
    )
    try:
        values = parts.sealer.open(found.sealed)
    except SealError as error:
        raise Problem(
            500, f"the secret values of {name} cannot be opened with the platform key: {error}; check QC_SECRET_KEY"
        ) from None
    revealed = ServiceSecretsRevealed(
        user_id=user.user_id, username=user.username, service=name, namespace=namespace, team=found.team,
        secret_paths=found.secret_paths,
    )  # fmt: skip
    try:  # recorded before anything is shown: no reveal goes unaudited
        async with parts.service.outbox.begin(actor=user.username, team=found.team) as uow:
            uow.emit(revealed, subject=f"services/{namespace}/{name}")
    except (OperationalError, InterfaceError) as error:
        raise Problem(
            503, f"the gateway cannot record the reveal now ({type(error).__name__}), so nothing is shown: retry"
        ) from None
    response.headers["Cache-Control"] = "no-store"
    return RevealedSecrets(service=name, namespace=namespace, values=values, secret_paths=found.secret_paths)
