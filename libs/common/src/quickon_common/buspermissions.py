"""Who may say what on the bus: the one table of each credential's NATS permissions.

Every service connects with a credential of its own (:mod:`.buscredentials`), and nats-server lets it
publish and subscribe only where this table says. The rules:

- Only the gateway publishes requests (``…requested``) and the ``iam`` context; a service publishes only
  its own context's other events. A saga that needs another service's work publishes an ask in its own
  context (:mod:`.contracts.asks`), so the owner knows who asked by the subject alone.
- A service answers only ``qc.query.<itself>.>`` and asks only the services in :data:`QUERIES_ASKED`.
- JetStream: every service reads the stream through durable and ephemeral consumers, publishes and
  acknowledges, and may create the stream when it is missing (after a deletion by hand, relays and
  consumers make it again). Updating, purging or deleting a stream is the admin credential's alone
  (``qc up`` updates the stream's configuration at start).
- Replies come back on the service's own inbox prefix (``_INBOX.<service>.``), so no service reads
  the answers meant for another.

nats-server 2.9 cannot tie a consumer's name or filter to a credential (2.10's filtered create
subject can), so a service credential may read any subject the stream holds: the stream is not a
secret store (secret values are sealed before they are published).

``qc up`` writes a server configuration from this table; ``python -m quickon_common.buspermissions``
prints it as the document an operator of an outside NATS follows (docs/nats-permissions.md).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from .blobs import BUCKET
from .bus import DLQ_PREFIX
from .buscredentials import inbox_prefix
from .contracts import REGISTRY
from .contracts.base import Event
from .settings import SERVICES

ADMIN = "admin"
CREDENTIALS = (*SERVICES, ADMIN)

# The service that owns (publishes the events of) each context.
CONTEXT_OWNERS = {
    "market": "market",
    "deploy": "deployer",
    "backup": "backup",
    "monitor": "monitor",
    "audit": "audit",
    "iam": "gateway",
}

# Whose queries each service asks (``qc.query.<service>.>``).
QUERIES_ASKED = {"gateway": tuple(SERVICES), "backup": ("deployer", "market"), "deployer": ("market",)}

# Plain (not JetStream) subscriptions: the gateway drops its catalog cache when the market changes, its kept
# dashboard overviews when the deployer does, and its users' and teams' caches at every iam event (another
# replica's change included).
FOLLOWS = {"gateway": ("qc.market.>", "qc.deploy.>", "qc.iam.>")}

# JetStream calls only some services make: the gateway's event readers find the newest event of a subject
# (a message get) and delete their consumer when the client goes away.
MORE_JETSTREAM = {"gateway": ("STREAM.MSG.GET.{stream}", "CONSUMER.DELETE.{stream}.*")}


@dataclass(frozen=True)
class Grant:
    """One credential's permissions, as nats-server takes them."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    answers_requests: bool  # allow_responses: reply to the requests it received, and only those

    def server_config(self) -> dict[str, object]:
        """The ``permissions`` block of this credential in nats-server's configuration."""
        permissions: dict[str, object] = {
            "publish": {"allow": list(self.publish)},
            "subscribe": {"allow": list(self.subscribe)},
        }
        if self.answers_requests:
            permissions["allow_responses"] = True
        return permissions


def is_request(contract: type[Event]) -> bool:
    """Whether ``contract`` asks for work (its event name ends in ``requested``)."""
    return contract.subject.rsplit(".", 1)[-1].endswith("requested")


def jetstream_subjects(credential: str, *, stream: str) -> list[str]:
    """The JetStream API a service uses: the stream's info and creation, consumers, acks, the blob bucket."""
    api = "$JS.API"
    blobs = f"OBJ_{BUCKET}"
    subjects = [
        f"{api}.STREAM.INFO.{stream}",
        f"{api}.STREAM.CREATE.{stream}",  # made again by relays and consumers after a deletion by hand
        f"{api}.CONSUMER.CREATE.{stream}",  # ephemeral readers
        f"{api}.CONSUMER.CREATE.{stream}.>",  # named consumers (nats-server 2.9's create with a name)
        f"{api}.CONSUMER.DURABLE.CREATE.{stream}.*",
        f"{api}.CONSUMER.INFO.{stream}.*",
        f"{api}.CONSUMER.MSG.NEXT.{stream}.*",
        f"$JS.ACK.{stream}.>",
        # Query bodies too large for a message travel through the blob bucket (quickon_common.blobs).
        f"{api}.STREAM.NAMES",  # an object store's reader finds its stream by subject
        f"{api}.STREAM.INFO.{blobs}",
        f"{api}.STREAM.CREATE.{blobs}",
        f"{api}.STREAM.MSG.GET.{blobs}",
        f"{api}.DIRECT.GET.{blobs}.>",
        f"{api}.CONSUMER.CREATE.{blobs}",
        f"{api}.CONSUMER.CREATE.{blobs}.>",
        f"{api}.CONSUMER.DELETE.{blobs}.*",
        f"$O.{BUCKET}.>",
        f"$JS.FC.{blobs}.>",
    ]
    subjects += [f"{api}.{call.format(stream=stream)}" for call in MORE_JETSTREAM.get(credential, ())]
    return subjects


def event_subjects(service: str) -> list[str]:
    """The event subjects ``service`` publishes. The gateway: every request and the whole ``iam`` context
    (its own). Another service: its own context's events but its requests (its asks included)."""
    if service == "gateway":
        return sorted({"qc.iam.>", *(c.subject for c in REGISTRY.all() if is_request(c))})
    return sorted(c.subject for c in REGISTRY.all() if CONTEXT_OWNERS.get(c.context()) == service and not is_request(c))


def grant(credential: str, *, stream: str = "QUICKON") -> Grant:
    """The permissions of ``credential`` (a service's name, or ``admin``)."""
    if credential == ADMIN:
        return Grant(publish=(">",), subscribe=(">",), answers_requests=False)
    if credential not in SERVICES:
        raise ValueError(f"no bus credential is called {credential!r}; the credentials are {', '.join(CREDENTIALS)}")
    publish = [
        *event_subjects(credential),
        f"{DLQ_PREFIX}.{credential}",
        *(f"qc.query.{target}.>" for target in QUERIES_ASKED.get(credential, ())),
        *jetstream_subjects(credential, stream=stream),
    ]
    subscribe = [f"{inbox_prefix(credential)}.>", f"qc.query.{credential}.>", *FOLLOWS.get(credential, ())]
    return Grant(publish=tuple(publish), subscribe=tuple(subscribe), answers_requests=True)


def authorization_config(public_keys: dict[str, str], *, stream: str = "QUICKON") -> str:
    """nats-server's ``authorization`` block: one NKey user per credential, with its permissions.

    ``public_keys`` maps each credential to its NKey public key (``U…``). A client with no credential,
    or another key, is refused at connect (``Authorization Violation``).
    """
    users = [
        {"nkey": key, "permissions": grant(name, stream=stream).server_config()}
        for name, key in sorted(public_keys.items())
    ]
    # nats-server's configuration format reads JSON values as they are.
    body = ",\n".join(f"    {json.dumps(user)}" for user in users)
    return f"authorization {{\n  users = [\n{body}\n  ]\n}}\n"


def document(*, stream: str = "QUICKON") -> str:
    """What each credential may do, for the operator of an outside NATS (docs/nats-permissions.md)."""
    lines = [
        "# NATS permissions of each QuickOn credential",
        "",
        "Generated from `quickon_common.buspermissions` (`make docs`); `qc up` writes the same into its",
        "nats-server configuration. With your own NATS, make one NKey user per credential with these",
        "permissions and give each service its seed file (`QC_<SERVICE>_NATS_NKEY_FILE`, see README).",
        "Every service credential also has `allow_responses: true` (it answers its queries).",
        "",
    ]
    for name in CREDENTIALS:
        permissions = grant(name, stream=stream)
        lines += [f"## {name}", "", "Publish:", ""]
        lines += [f"- `{subject}`" for subject in permissions.publish]
        lines += ["", "Subscribe:", ""]
        lines += [f"- `{subject}`" for subject in permissions.subscribe]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(document())
