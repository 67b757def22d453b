"""The deployer's own settings (``QC_RUNTIME``, ``QC_DEPLOYER_*``), beside the shared ones."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from quickon_common.contracts.exposure import check_host


class DeployerSettings(BaseSettings):
    """Where apps run and how long operations may take."""

    model_config = SettingsConfigDict(env_prefix="QC_DEPLOYER_", extra="ignore", populate_by_name=True)

    runtime: Literal["sim", "kubernetes"] = Field(
        default="sim", validation_alias="QC_RUNTIME", description="where apps run (QC_RUNTIME)"
    )
    # Deadlines: an operation that has not finished by then fails (and compensates) with the reason.
    install_deadline_s: float = Field(default=600, gt=0)
    upgrade_deadline_s: float = Field(default=600, gt=0)
    operation_deadline_s: float = Field(default=300, gt=0, description="rollback, start, stop, restart, uninstall")
    drain_deadline_s: float = Field(
        default=1800, gt=0, description="a node's drain: every controller's pods evicted and started elsewhere"
    )
    failure_grace_s: float = Field(
        default=30, ge=0, description="how long a new pod may crash-loop or fail to pull before the wait gives up"
    )
    parallel_operations: int = Field(default=32, ge=1, le=1000, description="operations run at once; others wait")
    status_interval_s: float = Field(default=2.0, gt=0, description="how often running services are looked at")
    market_timeout_s: float = Field(default=30, gt=0)
    # Each upgrade first asks the backup service for a backup and waits for it (unless the request opts
    # out with backup_first=false), and can take the data back from it when it fails; off where no backup
    # service runs (the deployer's own tests): the upgrade saga then has neither step.
    pre_upgrade_backup: bool = True
    # A runtime that cannot copy volumes (kubernetes, today) cannot back up a service that keeps data:
    # its upgrade is refused at once, saying so, unless the operator chose to upgrade such services
    # without a backup. Services without volumes are backed up (release and objects) either way.
    upgrade_without_volume_backup: bool = False
    # Former key of the deployer alone: it still opens what it sealed. The platform key is QC_SECRET_KEY
    # (shared settings) or var/secret.key, which the gateway seals requests with.
    secret_key: str | None = None

    # Test hook: "<kind>:<service>:<step>:<before|after>" points where the process stops itself
    # (SIGSTOP), so a test can kill it there. Never set in production.
    failpoints: list[str] = Field(default_factory=list)

    # Security scans of what services deploy (quickon_deployer.scans): after each install or upgrade whose scan
    # policy blocks nothing, a background worker runs Trivy on the new manifests. Off only where a test runs
    # hundreds of installs that are not about scanning; an operation whose policy blocks findings still scans.
    scan_services: bool = True
    scan_timeout_s: float = Field(default=300, gt=0, description="the longest one Trivy run may take")
    scan_rescan_s: float = Field(
        default=86_400, ge=0, description="how old a service's report may grow before it is scanned again (0: never)"
    )

    # The sim runtime (ARCHITECTURE.md): a simulated cluster with this many nodes of this size.
    sim_nodes: int = Field(default=3, ge=1, le=100)
    sim_node_cpu: str = "4"
    sim_node_memory: str = "8Gi"
    sim_node_disk: str = Field(default="100Gi", description="each node's disk, which its volumes fill")
    sim_disk_scan_s: float = Field(
        default=10.0, ge=0, description="how often the volumes are measured for the nodes' disk metrics"
    )
    sim_delay_scale: float = Field(default=1.0, ge=0, description="0 makes pods ready at once (benchmarks)")
    sim_shared: bool = Field(
        default=False,
        description="several deployer processes (replicas) share the simulated cluster: each call takes it "
        "under a file lock and reads what another saved first",
    )

    # The kubernetes runtime: a kubeconfig (and context), else the in-cluster service account.
    kubeconfig: Path | None = None
    kube_context: str | None = None
    platform_release: str = Field(
        default="quickon", validation_alias="QC_PLATFORM_RELEASE", min_length=1,
        description="the chart's release name: the platform Deployments are <release>-<service> (QC_PLATFORM_RELEASE)",
    )  # fmt: skip
    helm_timeout_s: float = Field(default=300, gt=0)

    # Reaching services through ingress-nginx (quickon_deployer.exposure). With a base domain (QC_BASE_DOMAIN,
    # the platform's) every service with a web entry answers at <service>-<namespace>.<base domain> (a team's
    # own namespace is named after it). The Ingress QuickOn owns per service is of the ingress class; the
    # operator's cert-manager ClusterIssuer makes the certificates of domains whose TLS is automatic, which
    # are self-signed where none is named.
    base_domain: str | None = Field(default=None, validation_alias="QC_BASE_DOMAIN")
    ingress_class: str = Field(default="nginx", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)
    cert_issuer: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)
    # Single sign-on is forward authentication to an oauth2-proxy-style endpoint the operator runs: the URL
    # nginx asks about each request, and where a browser that is not signed in is sent (may hold nginx
    # variables, such as https://auth.example.com/oauth2/start?rd=$scheme://$host$escaped_request_uri).
    # Unset: no service may ask for single sign-on.
    forward_auth_url: str | None = None
    forward_auth_signin_url: str | None = None
    # The OWASP Core Rule Set as the ingress controller's image lays it out; each protected service's
    # ModSecurity snippet includes it after setting its paranoia level (see exposure.annotations).
    waf_crs_include: str = "/etc/nginx/owasp-modsecurity-crs/nginx-modsecurity.conf"

    @field_validator("base_domain")
    @classmethod
    def _base_domain(cls, value: str | None) -> str | None:
        return check_host(value) if value else None
