"""``qc.query.<service>.info``, which every service answers: its version, consumers, queries and readiness.

Every replica answers it (no queue group): a reader that wants one takes the first answer, the platform's
component view gathers them all to show each replica."""

from __future__ import annotations

from pydantic import Field

from .base import NoRequest, Query, QueryReply, query

SERVICES = ("audit", "backup", "deployer", "gateway", "market", "monitor")


class ConsumerInfo(QueryReply):
    durable: str
    subject: str
    type: str = Field(description="the CloudEvents type it takes (or the contract class, for a subject filter)")


class Info(QueryReply):
    service: str
    instance: str = Field(default="", description="which replica answered: its host and process")
    version: str
    consumers: list[ConsumerInfo]
    queries: list[str]
    outbox_backlog: int | None = None
    ready: bool | None = Field(default=None, description="whether every check of its /readyz passes")
    failing: dict[str, str] = Field(default={}, description="each failing check and why")
    leads: bool = Field(default=False, description="whether it leads its service: it runs the periodic jobs")


INFO: dict[str, Query[NoRequest, Info]] = {
    service: query(service, "info", NoRequest, Info, f"What the {service} service runs") for service in SERVICES
}


def info_of(service: str) -> Query[NoRequest, Info]:
    """The ``info`` query of ``service``; one outside the platform's (a test's) gets an unregistered one."""
    return INFO.get(service) or Query(service, "info", NoRequest, Info, f"What the {service} service runs")
