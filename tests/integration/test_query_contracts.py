"""Every ``qc.query.<service>.<name>`` has a contract (``quickon_common.contracts.queries``), and the running
services keep to it: each query is answered with a reply its model accepts, a request with a field the
contract does not know is refused naming it, and a reply that breaks its contract reaches an HTTP caller of
the gateway as a 502 saying so (not a 500, nor the broken reply)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nats.aio.msg import Msg

from quickon_audit.app import build as build_audit
from quickon_audit.settings import AuditSettings
from quickon_common.contracts.audit import AuditVerificationFailed
from quickon_common.contracts.backup import BackupCompleted, BackupRequested
from quickon_common.contracts.monitor import Matcher, SilenceRequested
from quickon_common.contracts.queries import QUERIES, Caller, NoRequest, QueryRequest
from quickon_common.contracts.queries import audit as audit_queries
from quickon_common.contracts.queries import backup as backup_queries
from quickon_common.contracts.queries import channels as channel_queries
from quickon_common.contracts.queries import deployer as deployer_queries
from quickon_common.contracts.queries import market as market_queries
from quickon_common.contracts.queries import metrics as metrics_queries
from quickon_common.contracts.queries import monitor as monitor_queries
from quickon_common.envelope import Envelope
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from quickon_common.prometheusserver import PrometheusServer
from quickon_common.queries import QueryError, ask
from quickon_monitor.app import create_service as create_monitor
from quickon_monitor.settings import MonitorSettings
from support.backup import backup_platform, ended, install, new_id, send
from support.bus import connect, eventually, publish, running, settings_for
from support.charts import chart_tgz
from support.gateway import client, gateway_service, log_in
from support.monitor import save_channel, sealer
from support.prometheus import serving

NS = "default"
ALL = Caller.platform()  # team-scoped queries name their caller; this one sees everything


async def test_every_query_is_answered_within_its_contract(nats_server: NatsServer, tmp_path: Path) -> None:
    url = nats_server.url
    store = StoreSettings(url=f"file://{tmp_path / 'objects'}")
    audit = build_audit(
        settings_for("audit", nats_url=url, database_url=f"sqlite:///{tmp_path / 'audit.db'}", var_dir=tmp_path),
        AuditSettings(checkpoint_every=1000, checkpoint_interval_s=3600),
    )
    # A Prometheus that scrapes nothing: the metrics query's answer to PromQL that needs no series.
    (tmp_path / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    prometheus = PrometheusServer(tmp_path / "prometheus.yml", tmp_path / "prometheus")
    monitor = create_monitor(
        settings_for("monitor", nats_url=url, database_url=f"sqlite:///{tmp_path / 'monitor.db'}", var_dir=tmp_path),
        MonitorSettings(prometheus_url=prometheus.url),
    )
    gateway, _app = gateway_service(url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path)
    async with (
        serving(prometheus),
        backup_platform(url, tmp_path, store),
        running(audit.service),
        running(monitor, but=("prometheus",)),  # its rules' checks are not what this is about
        running(gateway),
    ):
        await install(url, "cache", NS)
        channel_id = await save_channel(url, sealer(tmp_path), team=NS, target={"url": "http://127.0.0.1:9/x"},
                                        name="ops", kind="webhook")  # fmt: skip
        backup_id = new_id()
        backed_up = await ended(
            url, await send(url, BackupRequested(backup_id=backup_id, service="cache", namespace=NS))
        )
        assert isinstance(backed_up, BackupCompleted), backed_up
        await audit.audit_log.checkpoint_now()
        # An alert (a failed audit verification fires a default behaviour rule) and a silence to ask about.
        await publish(url, AuditVerificationFailed(first_bad_sequence=3, reason="sample"))
        silence = SilenceRequested(silence_id="sample", matchers=[Matcher(name="job", value="x")],
                                   ends_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())  # fmt: skip
        await publish(url, silence, envelope=Envelope.new(silence, source="gateway", actor="admin"))

        nc = await connect(url)
        try:

            async def answer(contract: Any, request: QueryRequest) -> Any:
                return await ask(nc, contract, request, timeout_s=30)

            service = await answer(
                deployer_queries.SERVICE, deployer_queries.ServiceRequest(service="cache", caller=ALL)
            )
            assert service.operation is None and service.revisions[0].revision == 1
            source = await answer(deployer_queries.BACKUP_SOURCE, deployer_queries.ServiceRequest(service="cache"))
            workload = next(m for m in source.manifests if m["kind"] in ("Deployment", "StatefulSet"))
            (installed,) = (
                await answer(
                    deployer_queries.OPERATIONS, deployer_queries.OperationsRequest(service="cache", caller=ALL)
                )
            ).operations
            # What the install's typed plan decided: the version it chose and the revision it made.
            assert (installed.kind, installed.version, installed.revision) == ("install", "1.0.0", 1), installed

            async def alerted() -> bool:
                found = await answer(monitor_queries.ALERTS, monitor_queries.AlertsRequest(caller=ALL))
                silences = await answer(monitor_queries.SILENCES, monitor_queries.SilencesRequest(caller=ALL))
                return bool(found.alerts) and bool(silences.silences)

            await eventually(alerted, what="an alert and a silence in the monitor")
            alert_id = (
                (await answer(monitor_queries.ALERTS, monitor_queries.AlertsRequest(caller=ALL))).alerts[0].alert_id
            )
            # One request for each contract: a contract added without one here fails the test.
            requests: dict[str, QueryRequest] = {
                **{subject: NoRequest() for subject, query in QUERIES.items() if query.request is NoRequest},
                deployer_queries.SERVICES.subject: deployer_queries.ServicesRequest(namespace=NS, caller=ALL),
                deployer_queries.SERVICE_OVERVIEW.subject: deployer_queries.ServiceOverviewRequest(caller=ALL),
                deployer_queries.SERVICE.subject: deployer_queries.ServiceRequest(service="cache", caller=ALL),
                deployer_queries.OPERATIONS.subject: deployer_queries.OperationsRequest(service="cache", caller=ALL),
                deployer_queries.OPERATION.subject: deployer_queries.OperationRequest(
                    operation_id=installed.operation_id, caller=ALL
                ),
                deployer_queries.PREVIEW.subject: deployer_queries.PreviewRequest(
                    service="cache", version="1.0.1", caller=ALL
                ),
                deployer_queries.BACKUP_SOURCE.subject: deployer_queries.ServiceRequest(service="cache"),
                deployer_queries.SEALED_SECRETS.subject: deployer_queries.ServiceRequest(service="cache", caller=ALL),
                deployer_queries.SERVICE_SCAN.subject: deployer_queries.ServiceRequest(service="cache", caller=ALL),
                deployer_queries.INJECT.subject: deployer_queries.InjectRequest(
                    service="cache", kind=workload["kind"], name=workload["metadata"]["name"]
                ),
                deployer_queries.FILL_DISK.subject: deployer_queries.FillDiskRequest(node="sim-node-1", size_bytes=0),
                deployer_queries.NODES.subject: deployer_queries.NodesRequest(caller=ALL),
                deployer_queries.NODE.subject: deployer_queries.NodeRequest(node="sim-node-1", caller=ALL),
                deployer_queries.COMPONENTS.subject: deployer_queries.ComponentsRequest(caller=ALL),
                market_queries.APPS.subject: market_queries.AppsRequest(text="redis"),
                market_queries.APP.subject: market_queries.AppRequest(app="redis"),
                market_queries.VERSION.subject: market_queries.VersionRequest(app="redis"),
                market_queries.CHART.subject: market_queries.ChartRequest(app="redis", values={"replicaCount": 2}),
                market_queries.VALIDATE.subject: market_queries.ValidateRequest(app="redis", values={"typo": 1}),
                market_queries.UPGRADES.subject: market_queries.UpgradesRequest(app="redis", version="1.0.0"),
                market_queries.SCAN.subject: market_queries.ScanRequest(app="redis", version="1.0.0", wait_s=0),
                market_queries.PUBLISH.subject: market_queries.PublishRequest(
                    chart=base64.b64encode(chart_tgz("ledger", "0.1.0")).decode()
                ),
                backup_queries.BACKUPS.subject: backup_queries.BackupsRequest(service="cache", caller=ALL),
                backup_queries.BACKUP.subject: backup_queries.BackupRequest(
                    backup_id=backup_id, parts=True, caller=ALL
                ),
                backup_queries.SCHEDULES.subject: backup_queries.SchedulesRequest(caller=ALL),
                audit_queries.ENTRIES.subject: audit_queries.EntriesRequest(limit=5, caller=ALL),
                audit_queries.PROOF.subject: audit_queries.ProofRequest(seq=1, caller=ALL),  # covered by the checkpoint
                audit_queries.CHECKPOINTS.subject: audit_queries.CheckpointsRequest(),
                monitor_queries.ALERT_RULES.subject: monitor_queries.RulesRequest(caller=ALL),
                monitor_queries.ALERT_RULE.subject: monitor_queries.RuleRequest(
                    rule_id="builtin-node-disk", caller=ALL
                ),
                monitor_queries.ALERTS.subject: monitor_queries.AlertsRequest(state="all", caller=ALL),
                monitor_queries.ALERT.subject: monitor_queries.AlertRequest(alert_id=alert_id, caller=ALL),
                monitor_queries.SILENCES.subject: monitor_queries.SilencesRequest(caller=ALL),
                monitor_queries.SILENCE.subject: monitor_queries.SilenceRequest(silence_id="sample", caller=ALL),
                channel_queries.CHANNELS.subject: channel_queries.ChannelsRequest(caller=ALL),
                channel_queries.CHANNEL.subject: channel_queries.ChannelRequest(channel_id=channel_id, caller=ALL),
                channel_queries.DELIVERIES.subject: channel_queries.DeliveriesRequest(
                    channel_id=channel_id, caller=ALL
                ),
                channel_queries.TEST_CHANNEL.subject: channel_queries.ChannelRequest(channel_id=channel_id, caller=ALL),
                metrics_queries.METRICS.subject: metrics_queries.MetricsRequest(expr="vector(1)", caller=ALL),
            }
            assert set(requests) == set(QUERIES), "a request for every contract"
            replies = {subject: await answer(QUERIES[subject], requests[subject]) for subject in sorted(QUERIES)}
            for subject, reply in replies.items():
                assert isinstance(reply, QUERIES[subject].reply), subject

            # Each service's own list of what it answers is the contracts' list.
            for subject, reply in replies.items():
                if subject.endswith(".info"):
                    names = {q.name for q in QUERIES.values() if q.service == reply.service}
                    assert set(reply.queries) == names, reply.service

            # A field the contract does not know is refused, naming it (no typo passes silently).
            raw = await nc.request(deployer_queries.SERVICES.subject, b'{"namespace": "default", "sevice": "x"}', 30)
            refused = json.loads(raw.data)["error"]
            assert refused["status"] == 422 and "sevice" in refused["detail"], refused
            with pytest.raises(QueryError, match="limit") as refusal:
                await answer(market_queries.APPS, market_queries.AppsRequest().model_copy(update={"limit": 0}))
            assert refusal.value.status == 422

            # A team-scoped query without its caller is refused, not answered with everything (fails closed);
            # with one, it keeps to the caller's teams.
            unscoped = {
                subject: request.model_copy(update={"caller": None})
                for subject, request in requests.items()
                if getattr(request, "caller", None) is not None
            }
            # the monitor's seven, the channels' four and the deployer's three of nodes and components (platform
            # admins only) among them
            assert len(unscoped) == 27
            for subject, request in unscoped.items():
                with pytest.raises(QueryError, match="caller") as refusal:
                    await answer(QUERIES[subject], request)
                assert refusal.value.status == 403, subject
            outsider = Caller(teams=["another-team"])
            hidden = await answer(deployer_queries.SERVICES, deployer_queries.ServicesRequest(caller=outsider))
            assert hidden.services == []
            counted = await answer(
                deployer_queries.SERVICE_OVERVIEW, deployer_queries.ServiceOverviewRequest(caller=outsider)
            )
            assert (counted.total, counted.by_status, counted.newest) == (0, {}, [])
            with pytest.raises(QueryError) as refusal:
                await answer(QUERIES[backup_queries.BACKUP.subject], backup_queries.BackupRequest(
                    backup_id=backup_id, caller=outsider))  # fmt: skip
            assert refusal.value.status == 404
        finally:
            await nc.close()


async def test_a_reply_outside_its_contract_is_a_502_at_the_gateway(nats_server: NatsServer, tmp_path: Path) -> None:
    """A deployer that answers ``services`` with a service lacking its required fields: the gateway
    says the deployer broke its contract, naming the field, instead of passing it on or failing with 500."""
    url = nats_server.url
    service, app = gateway_service(url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path)
    deployer_side = await connect(url)

    async def broken(msg: Msg) -> None:
        await msg.respond(json.dumps({"services": [{"service": "cache", "namespace": "default"}]}).encode())

    try:
        await deployer_side.subscribe("qc.query.deployer.services", cb=broken)
        await deployer_side.flush()
        async with running(service), client(app, await log_in(app)) as http:
            response = await http.get("/api/v1/services")
        assert response.status_code == 502, response.text
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "qc.query.deployer.services" in problem["detail"] and "services.0.app" in problem["detail"], problem
    finally:
        await deployer_side.close()
