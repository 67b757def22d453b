"""What the chart's templates make of each values file: replicas, secrets, probes, policies, NATS."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from support.chart import NAMESPACE, RELEASE, SERVICES, Manifest, find, render

Rendered = Callable[[str], list[Manifest]]
FULL = RELEASE  # a release named after the chart is not named twice (quickon, not quickon-quickon)


def container(objects: list[Manifest], service: str) -> dict[str, Any]:
    deployment = find(objects, "Deployment", f"{FULL}-{service}")
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


def env(objects: list[Manifest], service: str) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container(objects, service)["env"]}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_its_own_module_with_one_replica_by_default(rendered: Rendered, service: str) -> None:
    objects = rendered("default")
    assert container(objects, service)["command"] == ["python", "-m", f"quickon_{service}"]
    assert find(objects, "Deployment", f"{FULL}-{service}")["spec"]["replicas"] == 1


def test_replicas_follow_each_services_own_value() -> None:
    objects = render("default", "services.backup.replicas=4", "services.audit.replicas=2")
    replicas = {s: find(objects, "Deployment", f"{FULL}-{s}")["spec"]["replicas"] for s in SERVICES}
    assert replicas == {"gateway": 1, "market": 1, "deployer": 1, "backup": 4, "monitor": 1, "audit": 2}


def test_ha_values_give_nats_three_nodes_and_every_service_two_or_more(rendered: Rendered) -> None:
    objects = rendered("ha")
    nats = find(objects, "StatefulSet", f"{FULL}-nats")
    assert nats["spec"]["replicas"] == 3
    anti_affinity = nats["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert anti_affinity["requiredDuringSchedulingIgnoredDuringExecution"]  # one node per host
    config = find(objects, "ConfigMap", f"{FULL}-nats")["data"]["nats.conf"]
    assert config.count(f"nats://{FULL}-nats-") == 3  # a route to every node
    for service in SERVICES:
        deployment = find(objects, "Deployment", f"{FULL}-{service}")
        hpa = [o for o in objects if o["kind"] == "HorizontalPodAutoscaler" and o["metadata"]["name"].endswith(service)]
        replicas = hpa[0]["spec"]["minReplicas"] if hpa else deployment["spec"]["replicas"]
        assert replicas >= 2, service
        assert env(objects, service)["QC_STREAM_REPLICAS"]["value"] == "3"


@pytest.mark.parametrize("service", SERVICES)
def test_probes_ask_healthz_and_readyz_on_the_services_port(rendered: Rendered, service: str) -> None:
    objects = rendered("default")
    main = container(objects, service)
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    # The gateway's public /readyz is bare: its internal port gives the reasons.
    readiness_port = "internal" if service == "gateway" else "http"
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": readiness_port}
    assert env(objects, service)[f"QC_{service.upper()}_HTTP_PORT"]["value"] == str(ports["http"])
    if service == "gateway":
        assert env(objects, service)["QC_GATEWAY_INTERNAL_PORT"]["value"] == str(ports["internal"])


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_mounts_its_own_nats_seed_only(rendered: Rendered, service: str) -> None:
    objects = rendered("default")
    pod = find(objects, "Deployment", f"{FULL}-{service}")["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "nats-credential"]
    assert volume["secret"]["secretName"] == f"{FULL}-nats-credentials"
    assert volume["secret"]["items"] == [{"key": f"{service}.nk", "path": f"{service}.nk"}]
    assert env(objects, service)[f"QC_{service.upper()}_NATS_NKEY_FILE"]["value"] == f"/etc/quickon/nats/{service}.nk"


def test_keys_go_only_to_the_services_that_use_them(rendered: Rendered) -> None:
    objects = rendered("default")
    wanted = {"QC_SECRET_KEY": {"gateway", "deployer", "monitor"}, "QC_ADMIN_PASSWORD": {"gateway"},
              "QC_AUDIT_SIGNING_KEY": {"audit"}}  # fmt: skip
    for variable, services in wanted.items():
        holders = {s for s in SERVICES if variable in env(objects, s)}
        assert holders == services, variable
        for service in services:
            ref = env(objects, service)[variable]["valueFrom"]["secretKeyRef"]
            assert ref["name"] == f"{FULL}-keys"
    assert {s for s in SERVICES if container(objects, s).get("envFrom")} == set()  # nothing in bulk


def test_generated_keys_are_what_the_services_accept(rendered: Rendered) -> None:
    data = find(rendered("default"), "Secret", f"{FULL}-keys")["data"]
    Fernet(base64.b64decode(data["platform-key"]))  # refuses anything but URL-safe base64 of 32 bytes
    seed = base64.b64decode(base64.b64decode(data["audit-signing-key"]), validate=True)
    Ed25519PrivateKey.from_private_bytes(seed)
    assert len(base64.b64decode(data["admin-password"])) >= 12


def test_existing_secrets_replace_the_generated_ones() -> None:
    objects = render("default", "secrets.existingSecret=mine", "nats.credentials.existingSecret=our-seeds")
    assert not [o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == f"{FULL}-keys"]
    assert env(objects, "gateway")["QC_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "mine"
    job = find(objects, "Job", f"{FULL}-credentials")
    assert "--given" in job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "--seeds-secret=our-seeds" in job["spec"]["template"]["spec"]["containers"][0]["command"]


@pytest.mark.parametrize("values", ["default", "ha", "trial"])
def test_every_workload_is_non_root_on_a_read_only_root(rendered: Rendered, values: str) -> None:
    for obj in rendered(values):
        if obj["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        pod = obj["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, obj["metadata"]["name"]
        for main in pod["containers"]:
            assert main["securityContext"]["readOnlyRootFilesystem"] is True, obj["metadata"]["name"]
            assert main["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_network_policies_cover_every_service_and_nats(rendered: Rendered) -> None:
    objects = rendered("default")
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "NetworkPolicy"}
    assert set(policies) == {f"{FULL}-{s}" for s in (*SERVICES, "nats")}
    for service in SERVICES:
        selector = policies[f"{FULL}-{service}"]["spec"]["podSelector"]["matchLabels"]
        assert selector["app.kubernetes.io/component"] == service
    market = policies[f"{FULL}-market"]["spec"]["ingress"]
    assert all(rule.get("from") for rule in market)  # no service port is open to every pod, but the gateway's


def test_trial_runs_its_own_postgresql_and_each_service_its_database(rendered: Rendered) -> None:
    objects = rendered("trial")
    find(objects, "StatefulSet", f"{FULL}-postgresql")
    assert find(objects, "StatefulSet", f"{FULL}-nats")["spec"]["replicas"] == 1
    init = find(objects, "ConfigMap", f"{FULL}-postgresql-init")["data"]["databases.sql"]
    for service in SERVICES:
        ref = env(objects, service)[f"QC_{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": f"{FULL}-postgresql", "key": service}
        assert f"CREATE DATABASE quickon_{service} OWNER quickon;" in init


def test_one_server_gives_each_service_its_database() -> None:
    objects = render("default", "postgresql.server.host=db.example", "postgresql.server.passwordSecret=pg")
    url = env(objects, "audit")["QC_AUDIT_DATABASE_URL"]["value"]
    assert url == "postgresql://quickon:$(QC_DATABASE_PASSWORD)@db.example:5432/quickon_audit?sslmode=require"
    password = env(objects, "audit")["QC_DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert password == {"name": "pg", "key": "password"}


def test_an_external_nats_replaces_the_chart_cluster() -> None:
    objects = render("default", "nats.external.url=nats://bus.example:4222")
    assert not [o for o in objects if o["metadata"]["name"].startswith(f"{FULL}-nats")]
    assert env(objects, "deployer")["QC_NATS_URL"]["value"] == "nats://bus.example:4222"
    command = find(objects, "Job", f"{FULL}-credentials")["spec"]["template"]["spec"]["containers"][0]["command"]
    assert not [arg for arg in command if arg.startswith("--auth-secret")]


def test_keda_scales_on_the_durable_consumers_pending_messages() -> None:
    objects = render("default", "services.deployer.keda.enabled=true")
    scaled = find(objects, "ScaledObject", f"{FULL}-deployer")
    assert scaled["spec"]["scaleTargetRef"]["name"] == f"{FULL}-deployer"
    triggers = scaled["spec"]["triggers"]
    assert {t["type"] for t in triggers} == {"nats-jetstream"}
    assert {t["metadata"]["consumer"] for t in triggers} == {
        "deployer-install_app", "deployer-upgrade_app", "deployer-uninstall_app",
    }  # fmt: skip
    assert {t["metadata"]["natsServerMonitoringEndpoint"] for t in triggers} == {f"{FULL}-nats.{NAMESPACE}.svc:8222"}
    assert "replicas" not in find(objects, "Deployment", f"{FULL}-deployer")["spec"]  # KEDA's HPA owns it


def test_ingress_sends_the_console_and_api_to_the_gateways_public_port(rendered: Rendered) -> None:
    ingress = find(rendered("default"), "Ingress", FULL)
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert path["path"] == "/"
    assert path["backend"]["service"] == {"name": f"{FULL}-gateway", "port": {"name": "http"}}


def test_only_the_deployer_gets_a_service_account_token(rendered: Rendered) -> None:
    objects = rendered("default")
    tokens = {
        s for s in SERVICES
        if find(objects, "Deployment", f"{FULL}-{s}")["spec"]["template"]["spec"]["automountServiceAccountToken"]
    }  # fmt: skip
    assert tokens == {"deployer"}
