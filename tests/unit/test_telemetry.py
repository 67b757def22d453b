"""Carrying a trace across time: stored with an operation, continued by its saga's steps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from quickon_common.telemetry import continued, export_spans, step_span, trace_carrier, tracer_provider

tracer = trace.get_tracer("test")


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    tracer_provider("unit")
    exporter = InMemorySpanExporter()
    stop = export_spans(exporter)
    yield exporter
    stop()


def test_a_step_continues_the_stored_trace_after_the_request_ended(spans: InMemorySpanExporter) -> None:
    with tracer.start_as_current_span("request") as request:
        cause = {"id": "e1", **trace_carrier()}
    assert trace.get_current_span() is trace.INVALID_SPAN  # the request is over, as when a saga runs later

    with step_span(cause, "render", operation="op-1", attempt=2):
        inside = trace_carrier()
    with continued(cause):
        between_steps = trace_carrier()

    [render] = [s for s in spans.get_finished_spans() if s.name == "render"]
    assert render.parent is not None and render.parent.span_id == request.get_span_context().span_id
    assert render.attributes == {
        "quickon.saga.step": "render",
        "quickon.saga.operation": "op-1",
        "quickon.saga.attempt": 2,
    }
    assert inside["traceparent"].split("-")[2] == f"{render.context.span_id:016x}"  # type: ignore[union-attr]
    assert between_steps["traceparent"] == cause["traceparent"]


def test_a_cause_without_a_trace_changes_nothing(spans: InMemorySpanExporter) -> None:
    with continued({"id": "e1"}):
        assert trace_carrier() == {}
    with step_span({"id": "e1"}, "resolve") as span:
        assert span.is_recording()
    [resolve] = spans.get_finished_spans()
    assert resolve.parent is None


def test_nothing_is_recorded_once_the_exporter_is_stopped() -> None:
    tracer_provider("unit")
    exporter = InMemorySpanExporter()
    export_spans(exporter)()
    with tracer.start_as_current_span("unseen") as span:
        assert not span.is_recording()
        assert trace_carrier()["traceparent"]  # the context is still passed on
    assert exporter.get_finished_spans() == ()
