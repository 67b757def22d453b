"""Deploy context, reaching a service: its addresses, and how its ingress protects it.

A service's domains (:class:`Domain`), its web application firewall (:class:`WafSettings`) and who may
reach it (:class:`AccessSettings`), as a user states them; :class:`ServiceExposureRequested` changes them
all at once (an operation of the deployer, like a restart). All are checked strictly here, so the gateway
refuses a bad value with a 422 naming the field, and nothing a user typed reaches the ingress controller's
configuration as text: rule ids are integers, networks are parsed and written back in their canonical form,
user names and hosts are narrow patterns.
The deployer renders them as ingress-nginx annotations (``quickon_deployer.exposure``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..names import is_dns_subdomain
from .base import secret
from .common import Failure, Success
from .deploy import ServiceEvent

WafMode = Literal["off", "detect", "block"]
# ModSecurity takes any positive rule id; this bound is far above any real one (the Core Rule Set's are six
# digits, 900000-999999) and keeps an id a plain 32-bit integer wherever it is stored.
RuleId = Annotated[int, Field(strict=True, ge=1, le=2**31 - 1)]
# An htpasswd user name: no colon (the file's separator), no spaces, nothing that needs quoting.
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")  # fullmatch: "$" would pass a final newline
MAX_NETWORKS = 100
MAX_USERS = 100
MAX_EXCLUSIONS = 200

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class WafSettings(BaseModel):
    """The ModSecurity firewall in front of a service, with the OWASP Core Rule Set.

    ``detect`` logs what the rules match and lets every request through (to learn which rules a service
    trips before blocking); ``block`` answers a request the rules score as an attack 403. The paranoia
    level (1-4) turns on stricter rules, which also match more harmless requests; ``exclusions`` are rule
    ids to switch off for this service (the ids the audit log names on a false positive).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: WafMode = "off"
    paranoia: int = Field(default=1, strict=True, ge=1, le=4, description="the Core Rule Set's paranoia level")
    exclusions: list[RuleId] = Field(
        default_factory=list, max_length=MAX_EXCLUSIONS, description="ModSecurity rule ids not to apply"
    )

    @field_validator("exclusions")
    @classmethod
    def _distinct(cls, exclusions: list[int]) -> list[int]:
        seen: set[int] = set()
        for rule in exclusions:
            if rule in seen:
                raise ValueError(f"rule {rule} is excluded twice; list each rule id once")
            seen.add(rule)
        return exclusions


def parse_network(text: str) -> Network:
    """A CIDR (or a single address) as a network, with a message that says how to write it when it is not."""
    if not isinstance(text, str) or not text or len(text) > 64:
        raise ValueError(f"{str(text)[:64]!r} is not a network; write an address or a CIDR such as 10.0.0.0/8")
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a network; write an address or a CIDR such as 10.0.0.0/8 or 2001:db8::/32"
        ) from None
    raise ValueError(f"{text!r} has host bits set; the network is {loose}")


class AccessSettings(BaseModel):
    """Who may reach a service through its ingress.

    ``allow``: when not empty, only these networks (everyone else gets 403); ``deny``: these networks get
    403, which is how to cut a range out of an allowed one. ``basic_auth_users``: the names that may sign
    in with HTTP basic authentication; their password hashes live in a Secret, never here. ``sso``: sign in
    through the operator's single sign-on (an oauth2-proxy-style forward authentication URL the operator
    configures). A service uses one way of signing in at most.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    allow: list[str] = Field(default_factory=list, max_length=MAX_NETWORKS, description="CIDRs; empty: anyone")
    deny: list[str] = Field(default_factory=list, max_length=MAX_NETWORKS, description="CIDRs refused")
    basic_auth_users: list[str] = Field(default_factory=list, max_length=MAX_USERS)
    sso: bool = Field(default=False, strict=True, description="sign in through the operator's forward auth")

    @field_validator("allow", "deny")
    @classmethod
    def _networks(cls, networks: list[str]) -> list[str]:
        canonical = [str(parse_network(text)) for text in networks]
        for i, network in enumerate(canonical):
            if network in canonical[:i]:
                raise ValueError(f"{network} is listed twice; list each network once")
        return canonical

    @field_validator("basic_auth_users")
    @classmethod
    def _user_names(cls, users: list[str]) -> list[str]:
        for i, user in enumerate(users):
            if not isinstance(user, str) or not USER_NAME.fullmatch(user):
                raise ValueError(
                    f"user {str(user)[:64]!r}: a name is 1-64 letters, digits and . _ @ - (starting with a letter "
                    "or digit)"
                )
            if user in users[:i]:
                raise ValueError(f"user {user!r} is listed twice")
        return users

    @model_validator(mode="after")
    def _consistent(self) -> AccessSettings:
        if self.sso and self.basic_auth_users:
            raise ValueError("choose basic authentication (basic_auth_users) or single sign-on (sso), not both")
        allowed = [ipaddress.ip_network(text) for text in self.allow]
        for text in self.deny:
            denied = ipaddress.ip_network(text)
            for network in allowed:
                if network.version == denied.version and network.subnet_of(denied):  # type: ignore[arg-type]
                    raise ValueError(
                        f"allow {network} lies inside deny {denied}, so it would never be reached; remove one of them"
                    )
            if allowed and not any(
                n.version == denied.version and (denied.subnet_of(n) or n.subnet_of(denied))  # type: ignore[arg-type]
                for n in allowed
            ):
                raise ValueError(
                    f"deny {denied} is outside every allowed network, which are the only ones let in already; remove it"
                )
        return self

    @property
    def restricted(self) -> bool:
        """Whether anything here limits who reaches the service."""
        return bool(self.allow or self.deny or self.basic_auth_users or self.sso)


class Protection(BaseModel):
    """All of a service's ingress protection: its firewall and its access control."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    waf: WafSettings = Field(default_factory=WafSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)


MAX_DOMAINS = 20
# How a domain's certificate comes: "auto" from the operator's cert-manager ClusterIssuer (a self-signed one
# where the operator has named none), "uploaded" by the user (its key travels sealed), "none" for plain HTTP.
TlsSource = Literal["auto", "uploaded", "none"]


def check_host(host: str) -> str:
    """A host name as an Ingress takes it: lowercase DNS labels with at least one dot, no port, no wildcard."""
    if not isinstance(host, str):
        raise ValueError("a domain is a host name such as git.example.com")
    lowered = host.strip().lower().rstrip(".")
    if lowered.startswith("*."):
        raise ValueError(f"{host[:80]!r}: wildcard domains are not supported yet; name each host")
    if _is_address(lowered):
        raise ValueError(f"{host[:80]!r} is an address; a domain is a host name (an Ingress routes names only)")
    if "." not in lowered or not is_dns_subdomain(lowered) or any(len(label) > 63 for label in lowered.split(".")):
        raise ValueError(
            f"{host[:80]!r} is not a host name; write it as git.example.com (letters, digits and '-', "
            "labels separated by dots, no scheme, port or path)"
        )
    return lowered


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class Domain(BaseModel):
    """One host name a service answers on. The primary one serves it; the others redirect there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(description="a host name such as git.example.com (no scheme, port or path)")
    primary: bool = Field(default=False, strict=True, description="serve here; every other domain redirects here")
    tls: TlsSource = Field(
        default="auto",
        description="auto: a certificate from the operator's cert-manager issuer (self-signed without one); "
        "uploaded: the certificate given here and its key; none: plain HTTP",
    )
    certificate: str | None = Field(
        default=None, max_length=64_000, description="uploaded: the PEM certificate chain, the host's own first"
    )

    @field_validator("host")
    @classmethod
    def _host(cls, host: str) -> str:
        return check_host(host)

    @model_validator(mode="after")
    def _certificate_only_uploaded(self) -> Domain:
        if self.certificate is not None and self.tls != "uploaded":
            raise ValueError(f"{self.host}: a certificate is given only with tls 'uploaded'")
        return self


class Exposure(BaseModel):
    """Everything about reaching a service: its custom domains (the platform's default address comes on top,
    where the operator set a base domain) and its protection."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    domains: list[Domain] = Field(default_factory=list, max_length=MAX_DOMAINS)
    protection: Protection = Field(default_factory=Protection)

    @field_validator("domains")
    @classmethod
    def _domains(cls, domains: list[Domain]) -> list[Domain]:
        hosts = [domain.host for domain in domains]
        for i, host in enumerate(hosts):
            if host in hosts[:i]:
                raise ValueError(f"{host} is listed twice; list each domain once")
        primaries = [domain.host for domain in domains if domain.primary]
        if len(primaries) > 1:
            raise ValueError(f"{' and '.join(primaries)} are both primary; a service has one primary domain")
        return domains


class ServiceExposureRequested(ServiceEvent):
    """Set a service's domains and protection (the whole of them: what is not listed is removed).

    Secrets travel sealed by the gateway: ``sealed_keys``, the uploaded certificates' private keys as JSON
    ``{host: PEM}``; ``sealed_passwords``, the basic-auth users' password hashes as JSON ``{user: hash}``
    (bcrypt, hashed by the gateway). A domain or user named without them keeps the key or hash it had.
    """

    subject = "qc.deploy.expose.requested"
    exposure: Exposure
    sealed_keys: str | None = secret(default=None)
    sealed_passwords: str | None = secret(default=None)


class ServiceExposed(ServiceEvent, Success):
    subject = "qc.deploy.expose.completed"
    urls: list[str] = Field(default_factory=list, description="where the service answers, the primary one first")


class ServiceExposeFailed(ServiceEvent, Failure):
    subject = "qc.deploy.expose.failed"
