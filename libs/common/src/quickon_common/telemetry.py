"""Tracing set-up: a tracer provider per process, exporting over OTLP when configured."""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

_provider: TracerProvider | None = None


def tracer_provider(service: str) -> TracerProvider:
    """The process's tracer provider, made once; spans leave by OTLP/HTTP if an endpoint is set.

    Without an endpoint nothing is recorded (no span would leave anyway, and recording costs a good
    part of a small request), but trace ids are still made and passed on: events and responses carry
    a ``traceparent`` either way."""
    global _provider
    if _provider is None:
        exporting = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
        _provider = TracerProvider(
            resource=Resource.create({"service.name": f"quickon-{service}"}),
            # None: the SDK's default, or OTEL_TRACES_SAMPLER when set.
            sampler=None if exporting else ALWAYS_OFF,
        )
        if exporting:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(_provider)
    return _provider
