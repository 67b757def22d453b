"""The base of every event contract, and the registry that decodes any event.

An event class declares its subject (``qc.<context>.<entity>.<event>``); its CloudEvents type
is derived from it (``io.quickon.<context>.<entity>.<event>.v<version>``). Registering happens
when the class is defined, so importing :mod:`quickon_common.contracts` fills the registry.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

SUBJECT_PATTERN = re.compile(r"^qc\.[a-z]+\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
CE_TYPE_PREFIX = "io.quickon."


def secret(**kwargs: Any) -> Any:
    """A field whose value must never reach logs or the audit log in clear (see ``redact``)."""
    return Field(json_schema_extra={"secret": True}, **kwargs)


class Event(BaseModel):
    """An immutable fact or request that crosses the bus.

    Unknown fields are ignored rather than refused: contracts evolve by adding optional
    fields, and an older consumer must still read a newer producer's events.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    subject: ClassVar[str] = ""
    contract_version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__dict__.get("subject"):  # abstract bases declare no subject of their own
            REGISTRY.register(cls)

    @classmethod
    def ce_type(cls) -> str:
        """The CloudEvents ``type`` attribute of this contract."""
        return f"{CE_TYPE_PREFIX}{cls.subject.removeprefix('qc.')}.v{cls.contract_version}"

    @classmethod
    def context(cls) -> str:
        """The bounded context this event belongs to (``deploy``, ``backup``, ...)."""
        return cls.subject.split(".")[1]

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        """Names of the fields marked secret in this contract."""
        return frozenset(
            name
            for name, field in cls.model_fields.items()
            if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("secret")
        )

    def redacted(self) -> dict[str, Any]:
        """The body as JSON-ready data with every secret field replaced by a marker."""
        data = self.model_dump(mode="json")
        for name in self.secret_fields():
            if data.get(name) is not None:
                data[name] = REDACTED
        return data


REDACTED = "***redacted***"


class UnknownEventType(LookupError):
    """No contract is registered for a CloudEvents type or subject."""


class ContractRegistry:
    """Maps CloudEvents types and subjects to their contract classes."""

    def __init__(self) -> None:
        self._by_type: dict[str, type[Event]] = {}
        self._by_subject: dict[str, list[type[Event]]] = {}

    def register(self, cls: type[Event]) -> None:
        """Add a contract; a subject or type taken by another class is a programming error."""
        if not SUBJECT_PATTERN.match(cls.subject):
            raise ValueError(f"{cls.__name__}: subject {cls.subject!r} is not qc.<context>.<entity>.<event>")
        ce_type = cls.ce_type()
        existing = self._by_type.get(ce_type)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise ValueError(f"{cls.__name__}: type {ce_type} is already {existing.__name__}")
        self._by_type[ce_type] = cls
        versions = [c for c in self._by_subject.get(cls.subject, []) if c.contract_version != cls.contract_version]
        self._by_subject[cls.subject] = sorted([*versions, cls], key=lambda c: c.contract_version)

    def by_type(self, ce_type: str) -> type[Event]:
        """The contract for a CloudEvents type, or :class:`UnknownEventType`."""
        try:
            return self._by_type[ce_type]
        except KeyError:
            raise UnknownEventType(f"no contract for CloudEvents type {ce_type!r}") from None

    def by_subject(self, subject: str) -> type[Event]:
        """The newest contract version published on a subject, or :class:`UnknownEventType`."""
        versions = self._by_subject.get(subject)
        if not versions:
            raise UnknownEventType(f"no contract for subject {subject!r}")
        return versions[-1]

    def all(self) -> list[type[Event]]:
        """Every registered contract, ordered by subject then version."""
        return sorted(self._by_type.values(), key=lambda c: (c.subject, c.contract_version))

    def contexts(self) -> list[str]:
        """The contexts that have at least one contract."""
        return sorted({cls.context() for cls in self._by_type.values()})


REGISTRY = ContractRegistry()
