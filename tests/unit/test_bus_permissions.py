"""The table of bus permissions says what the issue asks: only the gateway sends requests (save the few a
service's saga sends, listed), each service tells its own context's events and answers its own queries, and
no service may change, purge or delete a stream. The operator's document is the one the table makes."""

from __future__ import annotations

from pathlib import Path

from quickon_common.buspermissions import ADMIN, CONTEXT_OWNERS, REQUESTS_SENT, document, grant, is_request
from quickon_common.contracts import REGISTRY
from quickon_common.settings import SERVICES

PUBLISHED = Path(__file__).parents[2] / "docs" / "nats-permissions.md"


def test_the_published_document_is_up_to_date() -> None:
    assert PUBLISHED.read_text() == document(), "run 'make docs' and commit docs/nats-permissions.md"


def test_requests_come_from_the_gateway_and_the_sagas_that_need_them() -> None:
    for contract in filter(is_request, REGISTRY.all()):
        senders = {name for name in SERVICES if contract.subject in grant(name).publish}
        expected = {"gateway"} | {name for name, sent in REQUESTS_SENT.items() if contract in sent}
        assert senders == expected, contract.subject


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
