"""The published AsyncAPI document is the one the contracts generate, and lists them all."""

from __future__ import annotations

import json
from pathlib import Path

from quickon_common.asyncapi import document
from quickon_common.contracts import REGISTRY

PUBLISHED = Path(__file__).parents[2] / "docs" / "asyncapi.json"


def test_the_published_document_is_up_to_date() -> None:
    assert json.loads(PUBLISHED.read_text()) == json.loads(document()), "run 'make docs' and commit docs/asyncapi.json"


def test_every_contract_is_a_channel_with_its_schema() -> None:
    spec = json.loads(document())
    addresses = {channel["address"] for channel in spec["channels"].values()}
    assert addresses == {contract.subject for contract in REGISTRY.all()}
    schemas = spec["components"]["schemas"]
    for contract in REGISTRY.all():
        assert set(schemas[contract.__name__]["properties"]) == set(contract.model_fields)
