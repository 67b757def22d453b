"""Deploy context, reaching a service: how its ingress protects it.

A service's web application firewall (:class:`WafSettings`) and who may reach it (:class:`AccessSettings`),
as a user states them. Both are checked strictly here, so the gateway refuses a bad value with a 422 naming
the field, and nothing a user typed reaches the ingress controller's configuration as text: rule ids are
integers, networks are parsed and written back in their canonical form, user names are a narrow pattern.
The deployer renders them as ingress-nginx annotations (``quickon_deployer.exposure``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
