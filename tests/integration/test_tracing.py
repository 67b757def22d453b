"""One trace per request: an install through the gateway, the deployer's saga (a background task, steps
run long after the request's span ended) and the audit log, collected by an in-memory exporter.

The gateway names its spans by route template with the status and leaves the probes untraced; a query
carries ``traceparent`` and the answering service's span is the child of the asking one.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from quickon_audit.app import create_service as create_audit
from quickon_audit.settings import AuditSettings
from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested
from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from quickon_common.telemetry import continued, export_spans
from support.bus import connect, eventually, running, settings_for, stream_messages
from support.deployer import finished, outcome, platform, request
from support.gateway import client, gateway_service, log_in
from support.gateway_flows import succeeded


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span the services of this process end, while the test runs."""
    exporter = InMemorySpanExporter()
    stop = export_spans(exporter)
    yield exporter
    stop()
    exporter.clear()


@dataclass
class Traced:
    http: httpx.AsyncClient
    gateway: Service
    deployer: Service
    app: object


@asynccontextmanager
async def traced_stack(nats_url: str, database_url: str, var_dir: Path) -> AsyncIterator[Traced]:
    """Market, deployer (on ``database_url``, where the saga keeps the request's trace), audit and gateway."""
    audit_settings = settings_for("audit", nats_url=nats_url, database_url=f"sqlite:///{var_dir / 'audit.db'}",
                                  var_dir=var_dir)  # fmt: skip
    audit = create_audit(audit_settings, AuditSettings(checkpoint_every=1000, checkpoint_interval_s=3600))
    async with platform(nats_url, database_url, var_dir) as deployer, running(audit):
        gateway, app = gateway_service(nats_url, f"sqlite:///{var_dir / 'gateway.db'}", var_dir)
        app = gateway.asgi(app)  # the probes, as `service.run(app)` serves them (its lifespan is not run here)
        async with running(gateway):
            token = await log_in(app)
            async with client(app, token) as http:
                yield Traced(http=http, gateway=gateway, deployer=deployer.service, app=app)


def trace_of(traceparent: str) -> int:
    """The trace id in a W3C ``traceparent`` (``00-<trace>-<span>-<flags>``)."""
    return int(traceparent.split("-")[1], 16)


def named(found: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in found if span.name == name]


def children(found: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in found if s.parent is not None and s.parent.span_id == parent.context.span_id]


async def test_an_install_is_one_trace_from_the_gateway_to_the_audit_log(
    nats_server: NatsServer, database_url: str, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    async with traced_stack(nats_server.url, database_url, tmp_path) as s:
        response = await s.http.post("/api/v1/services", json={"name": "cache", "app": "redis", "version": "1.0.0"})
        operation = await succeeded(s.http, response)
        installed_append = f"{AppInstalled.subject} append"

        async def appended() -> bool:
            return bool(named(list(spans.get_finished_spans()), installed_append))

        await eventually(appended, timeout_s=60, what="the audit log to append AppInstalled")

    found = list(spans.get_finished_spans())
    [request] = [s for s in named(found, "POST /api/v1/services") if s.kind == SpanKind.SERVER]
    assert request.context is not None and request.parent is None
    trace_id = request.context.trace_id
    assert trace_of(response.headers["traceparent"]) == trace_id
    assert request.attributes is not None and request.attributes["http.response.status_code"] == 202
    assert request.attributes["http.route"] == "/api/v1/services"
    in_trace = [span for span in found if span.context is not None and span.context.trace_id == trace_id]

    # The deployer's consumer, then the saga's steps (in a background task, after that span ended).
    [consumed] = [
        span
        for span in named(in_trace, f"{AppInstallRequested.subject} process")
        if span.attributes and str(span.attributes["messaging.consumer.group.name"]).startswith("deployer-")
    ]
    assert consumed.kind == SpanKind.CONSUMER and consumed.parent is not None
    assert consumed.parent.span_id == request.context.span_id  # through the outbox, the relay and the stream
    steps = [span.name for span in in_trace if span.attributes and "quickon.saga.step" in span.attributes]
    assert {"resolve", "render", "apply", "wait"} <= set(steps), steps
    for step in ("render", "apply"):
        [span] = named(in_trace, step)
        assert span.parent is not None and span.parent.span_id == consumed.context.span_id  # type: ignore[union-attr]
        assert span.attributes is not None and span.attributes["quickon.saga.id"] == operation["operation_id"]
    [render] = named(in_trace, "render")
    assert [c.name for c in children(in_trace, render)] == ["helm template"]  # helm is a child span of its step

    # The audit log's append of AppInstalled belongs to the same trace, and so does every event the
    # install caused: each carries the trace in its headers (the saga's too, emitted long after the request).
    assert named(in_trace, installed_append)
    messages = await stream_messages(nats_server.url, "qc.deploy.>")
    requested = next(m for m in messages if m.subject == AppInstallRequested.subject)
    caused = [m for m in messages if (m.headers or {}).get("qc-correlation-id") == requested.headers["ce-id"]]  # type: ignore[index]
    [outcome] = [m for m in caused if m.subject == AppInstalled.subject]
    assert trace_of(outcome.headers["traceparent"]) == trace_id  # type: ignore[index]
    untraced = [m.subject for m in caused if trace_of((m.headers or {}).get("traceparent", "00-0-0-00")) != trace_id]
    assert len(caused) >= 10 and untraced == []


async def test_gateway_spans_are_named_by_route_with_their_status_and_probes_are_not_traced(
    nats_server: NatsServer, database_url: str, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    async with traced_stack(nats_server.url, database_url, tmp_path) as s:
        spans.clear()
        assert (await s.http.get("/api/v1/operations/7f0c0000-0000-0000-0000-000000000000")).status_code == 404
        assert (await s.http.get("/api/v1/no-such-thing")).status_code == 404
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await s.http.get(path)).status_code == 200, path
        probes = httpx.AsyncClient(transport=httpx.ASGITransport(app=s.deployer.asgi()), base_url="http://deployer")
        async with probes:
            for path in ("/healthz", "/readyz", "/metrics"):
                assert (await probes.get(path)).status_code == 200, path

    servers = [span for span in spans.get_finished_spans() if span.kind == SpanKind.SERVER]
    by_name = {span.name: span.attributes or {} for span in servers}
    assert set(by_name) == {"GET /api/v1/operations/{operation_id}", "GET"}, by_name  # no ids, no probes
    assert by_name["GET /api/v1/operations/{operation_id}"]["http.response.status_code"] == 404
    assert by_name["GET"]["http.response.status_code"] == 404 and "http.route" not in by_name["GET"]
    probed = [s.name for s in spans.get_finished_spans() if any(p in s.name for p in ("healthz", "readyz", "metrics"))]
    assert probed == []


async def test_a_query_carries_the_trace_and_the_answer_is_its_child(
    nats_server: NatsServer, database_url: str, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    async with traced_stack(nats_server.url, database_url, tmp_path) as s:
        watcher = await connect(nats_server.url)
        try:
            copies = await watcher.subscribe("qc.query.market.>")  # a copy of each request: not in the queue group
            await watcher.flush()
            spans.clear()
            response = await s.http.get("/api/v1/apps/redis")
            assert response.status_code == 200, response.text
            seen: list[Msg] = []
            with contextlib.suppress(NatsTimeoutError):
                while True:
                    seen.append(await copies.next_msg(timeout=1))
        finally:
            await watcher.close()

    found = list(spans.get_finished_spans())
    [page] = named(found, "GET /api/v1/apps/{app}")
    asked = [span for span in children(found, page) if span.kind == SpanKind.CLIENT]
    assert asked and all(span.name.startswith("qc.query.market.") for span in asked), [a.name for a in asked]
    for span in asked:
        subject = span.name.removesuffix(" request")
        [copy] = [m for m in seen if m.subject == subject]
        carried = (copy.headers or {}).get("traceparent", "")
        assert span.context is not None
        assert carried.split("-")[1:3] == [f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}"], carried
        answers = children(found, span)
        assert [a.kind for a in answers] == [SpanKind.CONSUMER], [a.name for a in answers]
        assert [r.name for r in children(found, answers[0])] == ["_INBOX publish"]  # not one name per answer


async def test_with_no_exporter_the_trace_still_goes_on_through_consumers_and_sagas(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    # No span is made where none would be recorded, but the trace id travels all the same, so that an
    # outside collector (or a later exporter) sees one trace per request.
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    url = nats_server.url
    async with platform(url, database_url, tmp_path):
        with continued({"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}):
            operation = await request(url, AppInstallRequested(service="cache", namespace="team-a", app="redis"))
        assert isinstance(outcome(await finished(url, operation)), AppInstalled)

    installed = [m for m in await stream_messages(url, AppInstalled.subject) if m.headers]
    assert [m.headers["traceparent"].split("-")[1] for m in installed if m.headers] == [trace_id]
