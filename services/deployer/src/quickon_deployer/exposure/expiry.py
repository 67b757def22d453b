"""When each uploaded certificate expires, as a metric, so that the monitor's "certificate expiring" rule warns
before a user's own certificate runs out (cert-manager renews the ones it issues and exports their expiry
itself, as ``certmanager_certificate_expiration_timestamp_seconds``; nobody renews an uploaded one).

The status watcher hands over the services it looked at; the certificates are public (in the settings), so
nothing is unsealed, and each is parsed once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from quickon_common.certificates import not_after

from ..models import ServiceRecord

METRIC = "quickon_certificate_expiration_timestamp_seconds"


@lru_cache(maxsize=4096)
def _expires_at(certificate: str) -> float | None:
    try:
        return not_after(certificate).timestamp()
    except (ValueError, IndexError):
        return None


class CertificateExpiry(Collector):
    """The expiry of every uploaded certificate of the services last looked at, by namespace, service and host
    (the label ``name``, as cert-manager's metric names its certificates)."""

    def __init__(self) -> None:
        self._expiries: dict[tuple[str, str, str], float] = {}

    def update(self, services: Iterable[ServiceRecord]) -> None:
        """Replace what is exported with the uploaded certificates of ``services``."""
        expiries: dict[tuple[str, str, str], float] = {}
        for record in services:
            for domain in (record.exposure or {}).get("domains") or []:
                certificate = domain.get("certificate")
                if domain.get("tls") == "uploaded" and certificate:
                    at = _expires_at(certificate)
                    if at is not None:
                        expiries[(record.namespace, record.name, domain["host"])] = at
        self._expiries = expiries

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            METRIC, "When a certificate uploaded for a service's domain expires (Unix time)",
            labels=["namespace", "service", "name"],
        )  # fmt: skip
        for (namespace, service, host), at in sorted(self._expiries.items()):
            family.add_metric([namespace, service, host], at)
        yield family


CERTIFICATE_EXPIRY = CertificateExpiry()
REGISTRY.register(CERTIFICATE_EXPIRY)
