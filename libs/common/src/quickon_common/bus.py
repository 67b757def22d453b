"""The NATS side: the QUICKON stream, the broker every service uses, and dead letters.

The stream stores every context's subjects and ``qc.dlq.>``. It deliberately does not store
``qc.query.>``: those are request/reply, and a stream would answer the request itself with
a publish acknowledgement.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.nats import NatsBroker
from faststream.nats.opentelemetry.provider import NatsTelemetrySettingsProvider, telemetry_attributes_provider_factory
from faststream.nats.prometheus import NatsPrometheusMiddleware
from faststream.nats.response import NatsPublishCommand
from faststream.opentelemetry import TelemetryMiddleware, TelemetrySettingsProvider
from faststream.response import PublishCommand
from faststream.security import BaseSecurity
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig, StreamInfo
from nats.js.errors import NoStreamResponseError, NotFoundError
from prometheus_client import REGISTRY as PROMETHEUS_REGISTRY

from .buscredentials import connect_options
from .contracts import REGISTRY
from .settings import Settings
from .telemetry import tracer_provider

log = logging.getLogger(__name__)

DLQ_PREFIX = "qc.dlq"


def stream_subjects() -> list[str]:
    """Every context's events and the dead letters."""
    return [f"qc.{context}.>" for context in REGISTRY.contexts()] + [f"{DLQ_PREFIX}.>"]


def stream_config(settings: Settings) -> StreamConfig:
    """The QUICKON stream: file storage, retention by age, a duplicate window for Nats-Msg-Id."""
    return StreamConfig(
        name=settings.stream_name,
        subjects=stream_subjects(),
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=settings.stream_max_age_s,
        duplicate_window=settings.stream_duplicate_window_s,
        num_replicas=settings.stream_replicas,
    )


async def ensure_stream(js: JetStreamContext, settings: Settings) -> StreamInfo:
    """Create the stream, or bring an existing one up to date without dropping its subjects.

    Safe to call from every service at every start: it only writes when something differs. Relays
    and consumers call it again when the stream has gone (deleted by hand), so it comes back with
    the same config and the outboxes fill it again.
    """
    wanted = stream_config(settings)
    try:
        info = await js.stream_info(settings.stream_name)
    except NotFoundError:
        log.info("creating stream %s on %s", wanted.name, ", ".join(wanted.subjects or []))
        return await js.add_stream(wanted)
    current = info.config
    subjects = sorted(set(current.subjects or []) | set(wanted.subjects or []))
    if (
        subjects == sorted(current.subjects or [])
        and current.max_age == wanted.max_age
        and current.duplicate_window == wanted.duplicate_window
    ):
        return info
    wanted.subjects = subjects
    log.info("updating stream %s", wanted.name)
    try:
        return await js.update_stream(wanted)
    except TimeoutError:
        # A service's bus credential may create the stream, not change it (quickon_common.buspermissions):
        # nats-server drops the request unanswered. The admin credential updates it (qc up does at start).
        log.warning(
            "cannot update stream %s to this service's settings (its bus credential may not: the admin's "
            "updates it, as qc up does at start); going on with the stream as it is",
            wanted.name,
        )
        return info


def stream_missing(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the stream or a consumer of it is not there.

    A deleted stream takes its consumers with it; publishing then fails with "no response from
    stream" and creating a consumer with "stream not found".
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, NoStreamResponseError | NotFoundError):
            return True
        cause = cause.__cause__
    return False


async def recreate_stream(restore: Callable[[], Awaitable[object]], *, by: str) -> None:
    """Create the stream again through ``restore`` (``ensure_stream``); if that fails too (NATS
    away), say so and return: the caller tries again at its next failure."""
    log.warning("%s: the stream or a consumer of it is gone; creating the stream again if it is missing", by)
    try:
        await restore()
    except Exception as error:
        log.warning("%s: cannot create the stream yet: %s: %s", by, type(error).__name__, error)


def dlq_subject(service: str) -> str:
    """Where ``service``'s consumers put what they give up on."""
    return f"{DLQ_PREFIX}.{service}"


async def dead_letter(js: JetStreamContext, msg: Msg, *, service: str, consumer: str, reason: str, tries: int) -> None:
    """Store ``msg`` on the service's dead-letter subject with why and after how many tries.

    The original headers and body are kept as they were, so it can be inspected and replayed.
    The message id is derived from the stream sequence, so a repeat after a crash is dropped.
    """
    headers = dict(msg.headers or {})
    sequence = msg.metadata.sequence.stream
    headers.update(
        {
            "Nats-Msg-Id": f"dlq:{consumer}:{sequence}",
            "qc-dlq-reason": reason[:2000],
            "qc-dlq-consumer": consumer,
            "qc-dlq-subject": msg.subject,
            "qc-dlq-stream-sequence": str(sequence),
            "qc-dlq-tries": str(tries),
        }
    )
    await js.publish(dlq_subject(service), msg.data, headers=headers)


class _ReplyNamed(NatsTelemetrySettingsProvider):
    """FastStream names a publish span after its subject, and a query's answer goes to a new inbox each
    time (``_INBOX.<random>``): one span name per answer. Named ``_INBOX publish``, they are one."""

    def get_publish_destination_name(self, cmd: PublishCommand) -> str:
        destination = super().get_publish_destination_name(cmd)
        return "_INBOX" if destination.startswith("_INBOX.") else destination


def _telemetry_settings(msg: Any) -> TelemetrySettingsProvider[Any, NatsPublishCommand] | None:
    found = telemetry_attributes_provider_factory(msg)
    return _ReplyNamed() if type(found) is NatsTelemetrySettingsProvider else found


def make_broker(
    settings: Settings,
    *,
    on_error: Callable[[Exception], Awaitable[None]] | None = None,
    on_disconnect: Callable[[], Awaitable[None]] | None = None,
    on_reconnect: Callable[[], Awaitable[None]] | None = None,
) -> NatsBroker:
    """The FastStream broker of a service, with tracing and Prometheus middlewares.

    nats-py retries forever, the first connection included (every second, with jitter);
    ``on_error`` hears of each failed try, so the service can say what it waits for. The service's bus
    credential and TLS come from its settings (:func:`.buscredentials.connect_options`).
    """
    options = connect_options(settings)
    tls = options.pop("tls", None)
    return NatsBroker(
        settings.nats_url,
        name=f"quickon-{settings.service}",
        security=BaseSecurity(ssl_context=tls) if tls is not None else None,
        **options,
        middlewares=[
            TelemetryMiddleware[NatsPublishCommand](
                settings_provider_factory=_telemetry_settings,
                tracer_provider=tracer_provider(settings.service),
                include_messages_counters=True,
            ),
            NatsPrometheusMiddleware(registry=PROMETHEUS_REGISTRY, app_name=f"quickon-{settings.service}"),
        ],
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=2,
        drain_timeout=5,  # a stop never waits long for stragglers: they are redelivered anyway
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        logger=logging.getLogger(f"quickon.{settings.service}.broker"),
    )
