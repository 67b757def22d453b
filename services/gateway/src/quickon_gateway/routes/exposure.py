"""Reaching a service: its domains and their certificates, its firewall and who may reach it (deployer).

Read from the deployer's answer about the service; set whole by ``ServiceExposureRequested``. Uploaded
certificates are checked here, so a wrong one is a 422 before anything changes; their keys and the basic-auth
passwords are write-only: keys are sealed, passwords hashed (bcrypt) and sealed, and neither is echoed,
logged or published in clear.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import bcrypt
from fastapi import APIRouter, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, Field, SecretStr, ValidationError

from quickon_common.certificates import certificate_problems
from quickon_common.contracts.exposure import (
    MAX_DOMAINS,
    MAX_USERS,
    Domain,
    Exposure,
    Protection,
    ServiceExposureRequested,
)

from ..deps import GatewayParts
from ..operations import ACCEPTED, OperationView
from ..problems import Problem
from ..teams.access import ServiceAdmin, ServiceViewer
from .params import Strict
from .services import _command, _detail

router = APIRouter(prefix="/api/v1/services", tags=["services"])

# bcrypt's cost: nginx checks the hash on every request a basic-auth user makes (each page, each asset), so
# the cost is paid per request on the ingress controller; 2^8 rounds is ~20 ms there, still far beyond a
# fast hash for anyone who reads the Secret. (htpasswd -B defaults to 5.)
BCRYPT_ROUNDS = 8
# bcrypt reads the first 72 bytes of a password and nginx's crypt() reads the same, so a longer password
# still signs in whole; the bcrypt package refuses more than 72 bytes rather than cut them itself.
BCRYPT_BYTES = 72
PASSWORD_CHARS = (8, 256)


def _password_length(password: SecretStr) -> SecretStr:
    # Said here, not by Field(min_length=...): pydantic would speak of a secret's "items".
    low, high = PASSWORD_CHARS
    if not low <= len(password.get_secret_value()) <= high:
        raise ValueError(f"a password is {low} to {high} characters long; choose another")
    return password


Password = Annotated[SecretStr, AfterValidator(_password_length)]


class DomainChange(Domain):
    """A domain as set: the contract's, with the uploaded certificate's private key (write-only)."""

    key: SecretStr | None = Field(
        default=None, max_length=64_000,
        description="uploaded: the certificate's unencrypted PEM private key; none with a certificate-less "
        "uploaded domain: keep the certificate and key stored before",
    )  # fmt: skip


class ExposureChange(Strict):
    """A service's whole exposure: what is not listed is removed. A domain with tls 'uploaded' and neither
    certificate nor key keeps the one stored; a basic-auth user without a password keeps theirs."""

    domains: list[DomainChange] = Field(default_factory=list, max_length=MAX_DOMAINS)
    protection: Protection = Field(default_factory=Protection)
    passwords: dict[str, Password] = Field(
        default_factory=dict, max_length=MAX_USERS,
        description="new basic-auth passwords by user (8-256 characters; write-only); each user must be in "
        "protection.access.basic_auth_users",
    )  # fmt: skip


class ExposureView(BaseModel):
    """How a service is reached, as set and as it answers."""

    exposure: Exposure
    urls: list[str] = Field(description="where it answers, the primary address first")
    web: str | None = Field(description="its web entry (Service:port) the Ingress routes to; none: no web page")


@router.get("/{name}/exposure", response_model=ExposureView, summary="A service's domains, protection and URLs")
async def exposure(parts: GatewayParts, access: ServiceViewer) -> ExposureView:
    detail = await _detail(parts, access)
    return ExposureView(exposure=detail.exposure, urls=detail.urls, web=detail.web)


@router.put(
    "/{name}/exposure", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Set a service's domains, certificates, firewall and access (team admins; the whole of them)",
)  # fmt: skip
async def set_exposure(
    parts: GatewayParts, access: ServiceAdmin, request: ExposureChange, response: Response
) -> OperationView:
    exposure = _exposure(request)
    keys = await asyncio.to_thread(_checked_keys, request)
    hashes = await asyncio.to_thread(_hashed_passwords, request, exposure)
    event = ServiceExposureRequested(
        service=access.name, namespace=access.namespace, exposure=exposure,
        sealed_keys=parts.sealer.seal(keys), sealed_passwords=parts.sealer.seal(hashes),
    )  # fmt: skip
    return await _command(parts, access.user, access.team, response, "expose", event)


def _exposure(request: ExposureChange) -> Exposure:
    """The contract's exposure from the request, its whole-list rules (one primary, no host twice) answered
    as FastAPI answers a body that does not validate: 422 naming the field."""
    domains = [d.model_dump(exclude={"key"}) for d in request.domains]
    try:
        return Exposure.model_validate({"domains": domains, "protection": request.protection})
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False, include_input=False)]
        ) from None


def _checked_keys(request: ExposureChange) -> dict[str, str]:
    """The uploaded keys by host, each with its certificate checked for its host; 422 naming the field
    otherwise. (In a thread: parsing chains and the system's CAs is CPU work.)"""
    keys: dict[str, str] = {}
    for i, domain in enumerate(request.domains):
        field = f"body.domains.{i}"
        if domain.key is not None and domain.tls != "uploaded":
            raise _invalid(f"{field}.key", f"{domain.host}: a key is given only with tls 'uploaded'; remove it")
        if (domain.key is None) != (domain.certificate is None):
            given, missing = ("key", "certificate") if domain.certificate is None else ("certificate", "key")
            raise _invalid(
                f"{field}.{missing}",
                f"{domain.host}: a {given} without its {missing}; send both (or neither, to keep the stored ones)",
            )
        if domain.key is None or domain.certificate is None:
            continue
        key = domain.key.get_secret_value()
        problems = certificate_problems(domain.certificate, key, domain.host)
        if problems:
            errors = [{"field": f"{field}.certificate", "message": problem} for problem in problems]
            raise Problem(
                422, f"the certificate for {domain.host} cannot serve it: {'; '.join(problems)}. Fix the "
                "certificate file (the host's certificate first, then its intermediates) and send it again",
                errors=errors,
            )  # fmt: skip
        keys[domain.host] = key
    return keys


def _hashed_passwords(request: ExposureChange, exposure: Exposure) -> dict[str, str]:
    """The new passwords' bcrypt hashes by user, as nginx's htpasswd check takes them (in a thread: hashing
    is slow on purpose)."""
    users = exposure.protection.access.basic_auth_users
    for user in request.passwords:
        if user not in users:
            raise _invalid(
                f"body.passwords.{user}",
                f"{user!r} is not in protection.access.basic_auth_users; add the user there, or remove the password",
            )
    return {
        user: bcrypt.hashpw(password.get_secret_value().encode()[:BCRYPT_BYTES], bcrypt.gensalt(BCRYPT_ROUNDS)).decode()
        for user, password in request.passwords.items()
    }


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, f"the request is not valid: {field}: {message}", errors=[{"field": field, "message": message}])
