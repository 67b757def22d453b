"""Every ``qc.query.<service>.<name>`` contract: its request and reply models. The answering service
registers its handler by contract (:meth:`quickon_common.service.Service.answers`), askers use
:func:`quickon_common.queries.ask`, the gateway's routes answer with the reply models, and the AsyncAPI
document lists them all. Importing this package fills :data:`QUERIES`."""

from . import audit, backup, channels, deployer, info, market, metrics, monitor
from .base import QUERIES, QUERY_PREFIX, Caller, NoRequest, Query, QueryReply, QueryRequest

__all__ = [
    "QUERIES", "QUERY_PREFIX", "Caller", "NoRequest", "Query", "QueryReply", "QueryRequest",
    "audit", "backup", "channels", "deployer", "info", "market", "metrics", "monitor",
]  # fmt: skip
