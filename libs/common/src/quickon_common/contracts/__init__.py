"""Every event contract of QuickOn; importing this package fills :data:`REGISTRY`."""

from . import asks, audit, backup, channels, deploy, exposure, iam, market, monitor
from .base import CE_TYPE_PREFIX, REDACTED, REGISTRY, ContractRegistry, Event, UnknownEventType, secret

__all__ = [
    "CE_TYPE_PREFIX",
    "REDACTED",
    "REGISTRY",
    "ContractRegistry",
    "Event",
    "UnknownEventType",
    "asks",
    "audit",
    "backup",
    "channels",
    "deploy",
    "exposure",
    "iam",
    "market",
    "monitor",
    "secret",
]
