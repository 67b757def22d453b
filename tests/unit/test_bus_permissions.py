"""The table of bus permissions says what the issue asks: only the gateway sends requests (a service's saga
asks in its own context instead), each service tells its own context's events and answers its own queries, and
no service may change, purge or delete a stream. The operator's document is the one the table makes."""

from __future__ import annotations

from pathlib import Path

from quickon_common.buspermissions import ADMIN, CONTEXT_OWNERS, document, grant, is_request
from quickon_common.contracts import REGISTRY
from quickon_common.contracts.asks import ACCEPTED_BY
from quickon_common.contracts.common import Ask
from quickon_common.settings import SERVICES

PUBLISHED = Path(__file__).parents[2] / "docs" / "nats-permissions.md"


def test_the_published_document_is_up_to_date() -> None:
    assert PUBLISHED.read_text() == document(), "run 'make docs' and commit docs/nats-permissions.md"


def test_requests_come_from_the_gateway_alone() -> None:
    for contract in filter(is_request, REGISTRY.all()):
        senders = {name for name in SERVICES if contract.subject in grant(name).publish}
        assert senders == {"gateway"}, contract.subject


def test_an_ask_is_told_by_its_asker_and_accepted_by_the_owner_of_the_request_it_stands_for() -> None:
    for ask, owner in ACCEPTED_BY.items():
        assert not is_request(ask) and ask in REGISTRY.all(), ask.__name__
        requested = next(base for base in ask.__mro__[1:] if is_request(base))
        assert CONTEXT_OWNERS[requested.context()] == owner, ask.__name__
    assert set(ACCEPTED_BY) == {c for c in REGISTRY.all() if issubclass(c, Ask)}


def test_each_event_is_told_by_the_owner_of_its_context_alone() -> None:
    for contract in REGISTRY.all():
        if is_request(contract) or contract.context() == "iam":
            continue
        senders = {name for name in SERVICES if contract.subject in grant(name).publish}
        assert senders == {CONTEXT_OWNERS[contract.context()]}, contract.subject
    assert [name for name in SERVICES if "qc.iam.>" in grant(name).publish] == ["gateway"]


def test_a_service_answers_its_own_queries_and_never_manages_a_stream() -> None:
    for name in SERVICES:
        permissions = grant(name)
        assert [s for s in permissions.subscribe if s.startswith("qc.query.")] == [f"qc.query.{name}.>"]
        assert ">" not in permissions.publish
        forbidden = ("STREAM.DELETE", "STREAM.PURGE", "STREAM.UPDATE", "STREAM.MSG.DELETE", "$JS.API.>")
        assert not [s for s in permissions.publish if any(f in s for f in forbidden)], name
    assert grant(ADMIN).publish == (">",)
