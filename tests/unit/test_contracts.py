"""Contracts and envelopes as pure code: registry, naming rules, strict decoding, redaction."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from quickon_common.contracts import REDACTED, REGISTRY, ContractRegistry, Event, UnknownEventType
from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested
from quickon_common.envelope import Envelope, MalformedEvent, decode, encode
from support.samples import sample

ALL = REGISTRY.all()


def test_every_context_the_platform_needs_has_contracts() -> None:
    assert {"market", "deploy", "backup", "monitor", "audit", "iam"} <= set(REGISTRY.contexts())
    assert len(ALL) >= 50


@pytest.mark.parametrize("contract", ALL, ids=lambda c: c.__name__)
def test_subject_and_type_follow_the_naming_rules(contract: type[Event]) -> None:
    parts = contract.subject.split(".")
    assert parts[0] == "qc" and len(parts) == 4 and contract.subject == contract.subject.lower()
    assert contract.ce_type() == f"io.quickon.{'.'.join(parts[1:])}.v1"
    assert REGISTRY.by_type(contract.ce_type()) is contract
    assert REGISTRY.by_subject(contract.subject) is contract
    if contract.__name__.endswith("Requested"):
        assert parts[3].endswith("requested"), "requests end in Requested, on a *requested subject"


def test_subjects_are_unique() -> None:
    subjects = [c.subject for c in ALL]
    assert len(subjects) == len(set(subjects))


def test_events_are_frozen() -> None:
    event = AppInstalled(service="gitea", app="gitea", version="1.0.0", revision=1)
    with pytest.raises(ValidationError):
        event.revision = 2  # type: ignore[misc]


def test_a_newer_producer_with_extra_fields_is_still_read() -> None:
    body = json.dumps({"service": "gitea", "app": "gitea", "version": "1", "revision": 1, "added_later": "x"})
    assert AppInstalled.model_validate_json(body).revision == 1


def test_a_second_version_of_a_contract_is_a_new_type_on_the_same_subject() -> None:
    registry = ContractRegistry()

    class Old(Event):
        subject = "qc.test.thing.happened"

    class New(Event):
        subject = "qc.test.thing.happened"
        contract_version = 2
        detail: str

    registry.register(Old)
    registry.register(New)
    assert registry.by_type("io.quickon.test.thing.happened.v1") is Old
    assert registry.by_type("io.quickon.test.thing.happened.v2") is New
    assert registry.by_subject("qc.test.thing.happened") is New


def test_a_malformed_subject_is_refused_at_definition() -> None:
    with pytest.raises(ValueError, match="not qc"):

        class Bad(Event):
            subject = "deploy.install"


def test_unknown_types_are_named() -> None:
    with pytest.raises(UnknownEventType, match=r"io\.quickon\.nope"):
        REGISTRY.by_type("io.quickon.nope.v1")


def test_secret_fields_are_redacted() -> None:
    event = AppInstallRequested(service="gitea", app="gitea", sealed_values="ciphertext", values={"a": 1})
    assert AppInstallRequested.secret_fields() == {"sealed_values"}
    assert event.redacted()["sealed_values"] == REDACTED
    assert event.redacted()["values"] == {"a": 1}


@pytest.mark.parametrize("contract", ALL, ids=lambda c: c.__name__)
def test_encode_then_decode_gives_back_the_event_and_envelope(contract: type[Event]) -> None:
    event = sample(contract)
    envelope = Envelope.new(event, source="test", subject="svc/x", actor="alice", team="ops")
    subject, headers, body = encode(event, envelope)
    decoded, decoded_envelope = decode(subject, headers, body)
    assert decoded == event
    assert decoded_envelope == envelope


def _message() -> tuple[str, dict[str, str], bytes]:
    event = AppInstalled(service="gitea", app="gitea", version="1.0.0", revision=1)
    return encode(event, Envelope.new(event, source="test"))


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (
            lambda s, h, b: (s, {k: v for k, v in h.items() if k != "ce-type"}, b),
            "missing CloudEvents headers: ce-type",
        ),
        (lambda s, h, b: (s, {}, b), "missing CloudEvents headers: ce-specversion, ce-id, ce-source, ce-type"),
        (lambda s, h, b: (s, {**h, "ce-specversion": "0.3"}, b), "unsupported CloudEvents specversion"),
        (lambda s, h, b: (s, {**h, "ce-type": "io.quickon.x.y.z.v1"}, b), "no contract for CloudEvents type"),
        (lambda s, h, b: ("qc.deploy.install.failed", h, b), "belongs on qc.deploy.install.completed"),
        (lambda s, h, b: (s, h, b"{not json"), "body does not match AppInstalled"),
        (lambda s, h, b: (s, h, b'{"service": "gitea"}'), "app: Field required"),
        (lambda s, h, b: (s, {**h, "ce-time": "yesterday"}, b), "not an RFC 3339 timestamp"),
    ],
)
def test_malformed_messages_are_refused_with_the_reason(mutate, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MalformedEvent, match=reason.replace(".", r"\.")):
        decode(*mutate(*_message()))


def test_caused_events_inherit_correlation_actor_and_team() -> None:
    cause_event = AppInstallRequested(service="gitea", app="gitea")
    cause = Envelope.new(cause_event, source="gateway", actor="alice", team="ops")
    effect = Envelope.new(
        AppInstalled(service="gitea", app="gitea", version="1", revision=1), source="deployer", cause=cause
    )
    assert (effect.correlation_id, effect.causation_id, effect.actor, effect.team) == (
        cause.id,
        cause.id,
        "alice",
        "ops",
    )
    assert effect.id != cause.id
