"""The published AsyncAPI document is the one the contracts generate, and lists them all: every event, and
every query with its request and reply."""

from __future__ import annotations

import json
from pathlib import Path

from quickon_common.asyncapi import document
from quickon_common.contracts import REGISTRY
from quickon_common.contracts.queries import QUERIES

PUBLISHED = Path(__file__).parents[2] / "docs" / "asyncapi.json"


def test_the_published_document_is_up_to_date() -> None:
    assert json.loads(PUBLISHED.read_text()) == json.loads(document()), "run 'make docs' and commit docs/asyncapi.json"


def test_every_contract_is_a_channel_with_its_schema() -> None:
    spec = json.loads(document())
    addresses = {channel["address"] for channel in spec["channels"].values()}
    assert addresses == {contract.subject for contract in REGISTRY.all()} | set(QUERIES)
    schemas = spec["components"]["schemas"]
    for contract in REGISTRY.all():
        assert set(schemas[contract.__name__]["properties"]) == set(contract.model_fields)


def test_every_query_is_a_channel_with_its_request_and_reply() -> None:
    spec = json.loads(document())
    schemas, messages = spec["components"]["schemas"], spec["components"]["messages"]

    def model_of(ref: str) -> dict[str, object]:
        """The schema a message reference leads to (channel message, then component message, then schema)."""
        channel, _, name = ref.removeprefix("#/channels/").partition("/messages/")
        message = messages[spec["channels"][channel]["messages"][name]["$ref"].removeprefix("#/components/messages/")]
        found: dict[str, object] = schemas[message["payload"]["$ref"].removeprefix("#/components/schemas/")]
        return found

    for subject, query in QUERIES.items():
        assert spec["channels"][subject]["address"] == subject
        operation = spec["operations"][subject]
        (request,) = operation["messages"]
        (reply,) = operation["reply"]["messages"]
        assert model_of(request["$ref"])["title"] == query.request.__name__, subject
        fields = {field.alias or name for name, field in query.reply.model_fields.items()}
        assert set(model_of(reply["$ref"])["properties"]) == fields, subject
