"""Tracing: a tracer provider per process, and the few ways QuickOn code makes and carries spans.

One request is one trace: the gateway's server span, the events it causes (``traceparent`` in their
headers, kept with the outbox row until the relay publishes it), the consumers that handle them, the
saga steps that run long after the consumer's span ended (the context is stored in the operation's
``cause`` and continued from there), the helm and Kubernetes calls of a step, queries and the audit
log's append.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler, SamplingResult, _get_from_env_or_default
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import Attributes

TRACE_KEYS = ("traceparent", "tracestate")

tracer = trace.get_tracer("quickon")


class _Switch(Sampler):
    """Records nothing until spans have somewhere to go: recording costs a good part of a small request,
    and no span would leave anyway. Trace ids are made and passed on either way (non-recording spans
    keep their context), so events and responses carry a ``traceparent`` whether or not it is on."""

    def __init__(self) -> None:
        self.active: Sampler = ALWAYS_OFF

    def should_sample(
        self,
        parent_context: context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        return self.active.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"QuickOn({self.active.get_description()})"


class _Exporters(SpanProcessor):
    """The processors spans go to, which may change while the process runs (the SDK's own list only grows)."""

    def __init__(self) -> None:
        self.processors: tuple[SpanProcessor, ...] = ()

    def on_start(self, span: SdkSpan, parent_context: context.Context | None = None) -> None:
        for processor in self.processors:
            processor.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for processor in self.processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        for processor in self.processors:
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(processor.force_flush(timeout_millis) for processor in self.processors)


_sampler = _Switch()
_exporters = _Exporters()
_provider: TracerProvider | None = None


def tracer_provider(service: str) -> TracerProvider:
    """The process's tracer provider, made once (the first service names it); spans leave by OTLP/HTTP
    when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, and to exporters given to :func:`export_spans`."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": f"quickon-{service}"}), sampler=_sampler)
        _provider.add_span_processor(_exporters)
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _add(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(_provider)
    return _provider


def export_spans(exporter: SpanExporter) -> Callable[[], None]:
    """Send this process's spans to ``exporter`` as well, each as it ends, and record spans while it is set;
    returns the function that stops it.

    For a program that embeds services and wants their spans (a test's in-memory exporter, say); services
    themselves export by ``OTEL_EXPORTER_OTLP_ENDPOINT``. It may be called before the first service is made."""
    processor = SimpleSpanProcessor(exporter)
    _add(processor)

    def stop() -> None:
        _exporters.processors = tuple(p for p in _exporters.processors if p is not processor)
        _sampler.active = _get_from_env_or_default() if _exporters.processors else ALWAYS_OFF

    return stop


def _add(processor: SpanProcessor) -> None:
    _exporters.processors = (*_exporters.processors, processor)
    # The SDK's default (parent-based, always on) unless OTEL_TRACES_SAMPLER says otherwise.
    _sampler.active = _get_from_env_or_default()


def recording() -> bool:
    """Whether spans are recorded at all (an exporter is set): where making them costs per message, skip it
    when they go nowhere."""
    return _sampler.active is not ALWAYS_OFF


def trace_carrier() -> dict[str, str]:
    """The current trace context as headers (``traceparent``, ``tracestate``): to send with a message, or to
    store with work that continues later (a saga's operation keeps it in its ``cause``)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {key: value for key, value in carrier.items() if key in TRACE_KEYS}


def _stored(carrier: Mapping[str, Any]) -> context.Context:
    return propagate.extract({key: str(carrier[key]) for key in TRACE_KEYS if carrier.get(key)})


@contextmanager
def continued(carrier: Mapping[str, Any]) -> Iterator[None]:
    """Make the trace stored in ``carrier`` current while the block runs (no span of its own): what the block
    emits and the spans it opens belong to that trace. For work run apart from the request that caused it,
    such as a saga in a background task; a carrier without ``traceparent`` leaves the context as it is."""
    if not carrier.get("traceparent"):
        yield
        return
    token = context.attach(_stored(carrier))
    try:
        yield
    finally:
        context.detach(token)


@contextmanager
def step_span(cause: Mapping[str, Any], step: str, **attributes: str | int) -> Iterator[Span]:
    """A span named after a saga's ``step``, child of the trace stored in the operation's ``cause`` (see
    :func:`trace_carrier`), current while the step runs: the events it emits and its helm and Kubernetes
    calls belong to it. A step that raises marks it failed. Each of ``attributes`` becomes
    ``quickon.saga.<name>`` (``operation=…, attempt=2``)."""
    parent = _stored(cause) if cause.get("traceparent") else None
    named = {f"quickon.saga.{key}": value for key, value in {"step": step, **attributes}.items()}
    with tracer.start_as_current_span(step, context=parent, kind=SpanKind.INTERNAL, attributes=named) as span:
        yield span


@contextmanager
def client_span(name: str, **attributes: str | int) -> Iterator[Span]:
    """A span for one call out of the process (a helm command, a Kubernetes API call, a query), child of the
    current one; a call that raises marks it failed."""
    with tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes) as span:
        yield span


@contextmanager
def message_spans(action: str, messages: Iterable[tuple[str, Mapping[str, str] | None]]) -> Iterator[list[Span]]:
    """One consumer span per ``(subject, headers)``, each child of its message's ``traceparent``, for work done
    on a batch at once (the audit log appends a fetch in one transaction); all end with the block, failed if
    it raises. None are made while nothing is recorded: a batch holds thousands of messages."""
    spans: list[Span] = []
    if recording():
        spans = [
            tracer.start_span(
                f"{subject} {action}",
                context=propagate.extract(dict(headers or {})),
                kind=SpanKind.CONSUMER,
                attributes={"messaging.system": "nats", "messaging.destination.name": subject},
            )
            for subject, headers in messages
        ]
    try:
        yield spans
    except BaseException as error:
        for span in spans:
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        raise
    finally:
        for span in spans:
            span.end()
