"""``qc cluster bootstrap``: K3s on this host with what QuickOn needs, then QuickOn's chart.

The plan is made first, whole, and is the same whether it is shown (``--dry-run``) or run: a K3s server
with embedded etcd (``cluster-init``, so that two more servers joining it make it highly available), its
Traefik left out for ingress-nginx (QuickOn's firewall and access rules are ingress-nginx annotations, and
its ModSecurity snippets need ``allow-snippet-annotations``), K3s' own local-path storage class as the
default, then ``charts/quickon``. A server that joins (``--server`` and ``--join``) installs K3s only: the
chart runs once, on the first.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

K3S_VERSION = "v1.30.6+k3s1"
INGRESS_NGINX_CHART = "4.11.3"  # controller 1.11.3: ModSecurity with the OWASP Core Rule Set built in
K3S_CONFIG = Path("/etc/rancher/k3s/config.yaml")
KUBECONFIG = "/etc/rancher/k3s/k3s.yaml"
NODE_TOKEN = "/var/lib/rancher/k3s/server/node-token"
NAMESPACE = "quickon-system"
# A K3s join token: "K10<hash>::server:<secret>", or a plain secret the first server was given.
TOKEN = re.compile(r"[A-Za-z0-9:._-]{8,512}")
HOST = re.compile(r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")


class PlanError(ValueError):
    """The options cannot make a plan; the message says which and how to write it."""


@dataclass(frozen=True)
class Step:
    """One thing the bootstrap does: run a command, or write a file."""

    what: str
    command: list[str] = field(default_factory=list)
    file: Path | None = None
    content: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def shown(self) -> str:
        """The step as a shell line (or the file it writes), for the dry run."""
        if self.file is not None:
            return f"write {self.file}:\n" + "".join(f"    {line}\n" for line in self.content.splitlines())
        prefix = "".join(f"{name}={shlex.quote(value)} " for name, value in self.env.items())
        return prefix + shlex.join(self.command)


@dataclass(frozen=True)
class Plan:
    steps: list[Step]
    after: list[str]  # what to tell the user once it is done


def server_url(server: str) -> str:
    """The first server's API address from an IP address or a host name (port 6443, K3s' own)."""
    text = server.strip().lower()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        if not HOST.fullmatch(text):
            raise PlanError(
                f"--server {server[:80]!r} is not an IP address or a host name; give the first server's"
            ) from None
        return f"https://{text}:6443"
    return f"https://[{address}]:6443" if address.version == 6 else f"https://{address}:6443"


def plan(
    *, server: str | None, token: str | None, chart: Path, values: list[Path], k3s_version: str = K3S_VERSION
) -> Plan:
    """Every step of the bootstrap, in order."""
    if (server is None) != (token is None):
        raise PlanError(
            "to join a cluster give both --server (the first server's address) and --join (its token, in "
            f"{NODE_TOKEN} there); to start one give neither"
        )
    if token is not None and not TOKEN.fullmatch(token):
        raise PlanError(f"--join: a K3s token is 8-512 letters, digits and ':._-' (read it from {NODE_TOKEN})")
    if not re.fullmatch(r"v\d+\.\d+\.\d+\+k3s\d+", k3s_version):
        raise PlanError(f"--k3s-version {k3s_version[:40]!r} is not a K3s release such as {K3S_VERSION}")
    joining = server is not None
    first = [f"server: {server_url(server)}", f"token: {token}"] if server is not None else ["cluster-init: true"]
    config = [*first, "disable:", "  - traefik", 'write-kubeconfig-mode: "0600"']
    version = shlex.quote(k3s_version)
    install = f"curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION={version} INSTALL_K3S_EXEC=server sh -"
    steps = [
        Step("K3s' configuration: embedded etcd, no Traefik" + (", joining the first server" if joining else ""),
             file=K3S_CONFIG, content="\n".join(config) + "\n"),
        Step(f"install K3s {k3s_version} as a server (systemd unit k3s)", command=["sh", "-c", install]),
        Step("wait until every node is Ready", command=["k3s", "kubectl", "wait", "--for=condition=Ready", "nodes",
                                                        "--all", "--timeout=300s"]),
    ]  # fmt: skip
    if joining:
        return Plan(steps, after=["This server joined the cluster; QuickOn already runs on the first one."])
    if not (chart / "Chart.yaml").is_file():
        raise PlanError(f"{chart} is not QuickOn's chart (no Chart.yaml); give --chart charts/quickon")
    values = values or [chart / "values-trial.yaml"]  # its own PostgreSQL: nothing else to bring for a first try
    for file in values:
        if not file.is_file():
            raise PlanError(f"--values {file}: no such file")
    helm = {"KUBECONFIG": KUBECONFIG}
    values_args = [arg for file in values for arg in ("-f", str(file))]
    steps += [
        Step("check the default storage class (K3s' local-path)",
             command=["k3s", "kubectl", "get", "storageclass", "local-path"]),
        Step(f"install ingress-nginx {INGRESS_NGINX_CHART} with its ModSecurity snippets allowed", env=helm, command=[
            "helm", "upgrade", "--install", "ingress-nginx", "ingress-nginx",
            "--repo", "https://kubernetes.github.io/ingress-nginx", "--version", INGRESS_NGINX_CHART,
            "--namespace", "ingress-nginx", "--create-namespace", "--wait",
            "--set", "controller.allowSnippetAnnotations=true",
            "--set-string", "controller.config.annotations-risk-level=Critical",
            "--set", "controller.ingressClassResource.default=true",
        ]),
        Step(f"install QuickOn with {', '.join(file.name for file in values)}", env=helm, command=[
            "helm", "upgrade", "--install", "quickon", str(chart), "--namespace", NAMESPACE, "--create-namespace",
            "--wait", "--timeout", "10m", *values_args,
        ]),
    ]  # fmt: skip
    return Plan(
        steps,
        after=[
            "QuickOn runs. Sign in as admin with the password in the Secret quickon-keys:",
            f"  k3s kubectl -n {NAMESPACE} get secret quickon-keys -o jsonpath='{{.data.admin-password}}' | base64 -d",
            "To make the cluster highly available, run on two more hosts:",
            f"  qc cluster bootstrap --server <this host's address> --join <the token in {NODE_TOKEN} here>",
        ],
    )


def host_problems(*, system: str, systemd: bool, root: bool, tools: dict[str, bool]) -> list[str]:
    """Why this host cannot run the plan, each with what to do; empty when it can."""
    problems = []
    if system != "Linux":
        problems.append(f"K3s runs on Linux; this is {system}")
    if not systemd:
        problems.append("K3s installs as a systemd service and this host does not run systemd (a container?)")
    if not root:
        problems.append("installing K3s needs root: run it with sudo")
    problems += [f"{tool} is not on PATH: install it first" for tool, found in tools.items() if not found]
    return problems
