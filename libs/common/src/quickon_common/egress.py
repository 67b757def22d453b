"""Which addresses are not public: the one rule for every place that fetches from or posts to a URL a user
typed (the market's repositories, the monitor's notification channels). Without it such a URL reaches
cloud metadata (169.254.169.254), the platform's own services on 127.0.0.1, or the private network.

:class:`Allowance` is what an admin allowed anyway (host names and CIDRs); :func:`refusal` says why a host
written as an address is refused, and :func:`resolved_refusal` checks every address a name resolves to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# The instance metadata services of the clouds: AWS, GCP, Azure and OpenStack (IPv4, link-local), AWS's
# IPv6 one, and Alibaba's. Named apart so the refusal says what was at stake.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)


def address_kind(address: Address) -> str | None:
    """What kind of non-public address ``address`` is, or None for a public one."""
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_multicast or address.is_reserved or address.is_unspecified or not address.is_global:
        return "not a public address"
    return None


def plain(address: Address) -> Address:
    """An IPv4 address written as IPv6 (``::ffff:127.0.0.1``) is checked as the IPv4 address it reaches."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class Allowance:
    """The host names and networks an admin allowed though they are not public."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[str]) -> Allowance:
        names, networks = set(), []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def allows(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


def refusal(host: str, allowance: Allowance) -> str | None:
    """Why ``host``, written as an address (or ``localhost``), may not be reached; None when it may, or when
    it is a name (checked once resolved: :func:`resolved_refusal`)."""
    name = host.lower().rstrip(".")
    if name in allowance.names:
        return None
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host} is the machine itself, a loopback address"
    try:
        literal = plain(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return None
    kind = address_kind(literal)
    return None if kind is None or allowance.allows(literal) else f"{host} is {kind}"


async def resolved_refusal(host: str, port: int, allowance: Allowance) -> str | None:
    """Why ``host`` may not be reached once resolved (one refused address refuses the host: a name that also
    points inside is not trusted); None when every address it has may be."""
    name = host.lower().rstrip(".").strip("[]")
    if name in allowance.names:
        return None
    try:
        found = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        return f"{host} cannot be resolved: {error.strerror}"
    for info in found:
        address = plain(ipaddress.ip_address(info[4][0]))
        kind = address_kind(address)
        if kind is not None and not allowance.allows(address):
            return f"{host} resolves to {address}, which is {kind}"
    return None
