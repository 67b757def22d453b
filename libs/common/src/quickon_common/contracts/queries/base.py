"""A query's contract: the subject it is asked on, its request and reply models, what it is for.

Requests refuse unknown fields (a typo must not pass silently). Replies allow them and are dumped with
``exclude_unset``: a reply keeps exactly the fields its service gave, the model documents and checks the
ones it names, and a service may add a field before the contract names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

QUERY_PREFIX = "qc.query"


class QueryRequest(BaseModel):
    """The body of a query; unknown fields are refused, so a typo does not pass silently."""

    model_config = ConfigDict(extra="forbid")


class NoRequest(QueryRequest):
    """A query that takes nothing."""


class Caller(QueryRequest):
    """Who a team-scoped query is asked for (services, backups, operations, audit entries), set by the
    gateway from the request's token: a platform admin sees everything, anyone else what belongs to one of
    ``teams`` (team ids) and what belongs to no team. A query that needs one and has none is refused
    (:func:`quickon_common.queries.caller_of`): forgetting it must hide, never show."""

    is_admin: bool = False
    teams: list[str] = Field(default_factory=list, max_length=1000)

    @classmethod
    def platform(cls) -> Caller:
        """The platform itself (a service asking for its own work): sees everything."""
        return cls(is_admin=True)

    def sees(self, team: str | None) -> bool:
        """Whether this caller may see what belongs to ``team``."""
        return self.is_admin or team is None or team in self.teams


class QueryReply(BaseModel):
    """The answer to a query: the fields named are documented and checked, others kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_json(self) -> bytes:
        """The reply as it goes on the wire: the fields that were given, no defaults added."""
        return self.model_dump_json(exclude_unset=True, by_alias=True).encode()


Req = TypeVar("Req", bound=QueryRequest)
Rep = TypeVar("Rep", bound=QueryReply)


@dataclass(frozen=True)
class Query(Generic[Req, Rep]):
    """``qc.query.<service>.<name>``: asked with ``request``, answered with ``reply``."""

    service: str
    name: str
    request: type[Req]
    reply: type[Rep]
    summary: str

    @property
    def subject(self) -> str:
        return f"{QUERY_PREFIX}.{self.service}.{self.name}"


QUERIES: dict[str, Query[Any, Any]] = {}  # by subject; filled as the contract modules are imported


def query(service: str, name: str, request: type[Req], reply: type[Rep], summary: str) -> Query[Req, Rep]:
    """Declare a query's contract and register it in :data:`QUERIES`."""
    contract = Query(service, name, request, reply, summary)
    if contract.subject in QUERIES:
        raise ValueError(f"{contract.subject} is declared twice")
    QUERIES[contract.subject] = contract
    return contract
