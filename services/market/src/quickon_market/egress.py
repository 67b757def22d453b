"""Where the market may reach: a repository is a URL a user typed, and the market fetches it from inside
the platform's network, so without a rule it would read cloud metadata (169.254.169.254), the platform's
own services on 127.0.0.1, or any file the service can open.

- HTTP(S): a host whose address is loopback, private, link-local, a cloud metadata address or otherwise
  not public is refused unless an admin allow-listed it (``QC_MARKET_ALLOWED_HOSTS``: host names and
  CIDRs). The name is resolved once, every address checked, and the connection made to the checked
  address (a DNS answer that changes between the check and the connection, DNS rebinding, cannot slip
  through); a redirect is checked again, hop by hop, by the fetcher (quickon_market.sources).
- Local directories (``/dir``, ``file:///dir``): only under the roots an admin configured
  (``QC_MARKET_LOCAL_ROOTS``); none by default. The gateway lets only admins ask for them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from quickon_common.egress import Address, Network
from quickon_common.egress import address_kind as _kind
from quickon_common.egress import plain as _plain

from .settings import MarketSettings
from .sources import SourceError

ALLOW_HINT = "an admin may allow it with QC_MARKET_ALLOWED_HOSTS (host names or CIDRs) on the market"


@dataclass(frozen=True, slots=True)
class Egress:
    """The market's rule for what a repository may point at (see the module's docstring)."""

    allowed_names: frozenset[str] = frozenset()
    allowed_networks: tuple[Network, ...] = ()
    local_roots: tuple[Path, ...] = ()

    @classmethod
    def of(cls, settings: MarketSettings) -> Egress:
        names, networks = set(), []
        for entry in settings.allowed_hosts:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        roots = tuple(Path(root).resolve() for root in settings.local_roots)
        return cls(frozenset(names), tuple(networks), roots)

    def check_directory(self, directory: Path) -> None:
        """:class:`SourceError` unless ``directory`` lies under an allowed root."""
        resolved = directory.resolve()
        if not any(resolved.is_relative_to(root) for root in self.local_roots):
            roots = ", ".join(str(r) for r in self.local_roots) or "none are configured"
            raise SourceError(
                f"{directory}: a local repository must be under one of the directories an admin allowed "
                f"(QC_MARKET_LOCAL_ROOTS on the market: {roots}); serve it over http(s) or ask an admin"
            )

    def check_host(self, host: str) -> None:
        """:class:`SourceError` for a host written as a refused address (or ``localhost``), before any lookup:
        a repository added so is refused at once rather than at its first read."""
        name = host.lower().rstrip(".")
        if name in self.allowed_names:
            return
        if name == "localhost" or name.endswith(".localhost"):
            raise SourceError(f"{host} is the machine the market runs on, a loopback address; {ALLOW_HINT}")
        try:
            literal = ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return  # a name: checked once it is resolved, at connect time
        self._check(host, _plain(literal))

    async def address(self, host: str, port: int) -> str:
        """The one address to connect to for ``host``: resolved once, every address it has checked (one
        refused address refuses the host: a name that also points inside is not trusted)."""
        name = host.lower().rstrip(".").strip("[]")
        try:
            found = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise SourceError(f"{host} cannot be resolved: {error.strerror}") from None
        addresses = list(dict.fromkeys(_plain(ipaddress.ip_address(info[4][0])) for info in found))
        if not addresses:
            raise SourceError(f"{host} has no address")
        if name not in self.allowed_names:
            for address in addresses:
                self._check(host, address)
        return str(addresses[0])

    def _check(self, host: str, address: Address) -> None:
        kind = _kind(address)
        if kind is None or any(address in network for network in self.allowed_networks):
            return
        where = str(address) if host.strip("[]") == str(address) else f"{host} resolves to {address}, which"
        raise SourceError(f"{where} is {kind}: the market does not fetch from there; {ALLOW_HINT}")
