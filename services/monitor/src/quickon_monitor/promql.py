"""Rule templates rendered to PromQL, against the metric names of kube-state-metrics, cAdvisor and
node-exporter (what a cluster's exporters give, and what the sim runtime exports under the same names).

Pure: a rule in, a query out. Each query keeps the labels an alert is told apart by (node and mount point,
namespace and pod, job and instance), so that one alert stands for one label set.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

from quickon_common.contracts.monitor import RuleSpec

# File systems that are not a node's disks: memory, overlays of containers, read-only images.
NOT_DISKS = 'fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs"'


def _number(value: float | str) -> str:
    return f"{float(value):g}"


def render(spec: RuleSpec) -> str:
    """The PromQL a Prometheus rule evaluates: its raw ``expr``, or its template's with the parameters."""
    if spec.expr is not None:
        return spec.expr
    template = spec.template
    if template == "node_disk":
        used = f"100 * (1 - node_filesystem_avail_bytes{{{NOT_DISKS}}} / node_filesystem_size_bytes{{{NOT_DISKS}}})"
        return f"{used} > {_number(spec.param('percent'))}"
    if template == "service_not_ready":
        # kube-state-metrics gives one series per condition; a pod is not ready when "true" is 0.
        return 'kube_pod_status_ready{condition="true"} == 0'
    if template == "restarts":
        window = int(float(spec.param("window_s")))
        restarts = f"increase(kube_pod_container_status_restarts_total[{window}s])"
        return f"sum by (namespace, pod) ({restarts}) > {_number(spec.param('count'))}"
    if template == "cpu_of_limit":
        used = 'sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{container!=""}[5m]))'
        limit = 'sum by (namespace, pod, container) (kube_pod_container_resource_limits{resource="cpu"})'
        return f"100 * {used} / {limit} > {_number(spec.param('percent'))}"
    if template == "component_down":
        pattern = str(spec.param("job_pattern")).replace("\\", "\\\\").replace('"', '\\"')
        return f'up{{job=~"{pattern}"}} == 0'
    if template == "certificate_expiring":
        # When each certificate expires: cert-manager's exporter for those it issues, the deployer for those a
        # user uploaded (nobody renews them).
        days = _number(spec.param("days"))
        expiry = (
            "certmanager_certificate_expiration_timestamp_seconds or quickon_certificate_expiration_timestamp_seconds"
        )
        return f"(({expiry}) - time()) / 86400 < {days}"
    raise ValueError(f"{template!r} is not a Prometheus template")


@dataclass(frozen=True)
class Condition:
    """A rule's query split into the series it asks for (``base``) and the threshold it keeps them by
    (``op`` and ``threshold``; none when the query cannot be split). Rules that differ only in their
    threshold (a warning at 80 %, a critical at 90 %) share one ``base``: a round asks Prometheus once for it
    and compares here, as Prometheus would (a comparison without ``bool`` keeps the series that hold, with
    their values)."""

    base: str
    op: str | None = None
    threshold: float = 0.0

    def holds(self, value: float) -> bool:
        return self.op is None or COMPARE[self.op](value, self.threshold)


COMPARE = {
    ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
}  # fmt: skip
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# Strings, comparison operators, brackets, and the set operators (which bind looser than comparisons).
TOKEN = re.compile(r""""(\\.|[^"\\])*"|'(\\.|[^'\\])*'|`[^`]*`|>=|<=|==|!=|>|<|[(){}\[\]]|\b(and|or|unless|bool)\b""")


def condition(query: str) -> Condition:
    """``query`` as a base and a trailing comparison with a number at its top level (``base > 85``), when
    that is all its last operation is; otherwise the whole query, kept as it is. Never split: a top-level
    ``and``/``or``/``unless`` (they bind looser than the comparison), a ``bool`` comparison (it returns 0/1
    instead of filtering), or a right side that is not a plain number (``a > 1 + 2``)."""
    depth, last = 0, None
    for found in TOKEN.finditer(query):
        token = found.group(0)
        if token in "({[":
            depth += 1
        elif token in ")}]":
            depth -= 1
        elif depth == 0 and token in ("and", "or", "unless", "bool"):
            return Condition(query)
        elif depth == 0 and token in COMPARE:
            last = found
    if last is None:
        return Condition(query)
    right = query[last.end() :].strip()
    base = query[: last.start()].strip()
    if not NUMBER.fullmatch(right) or not base:
        return Condition(query)
    return Condition(base, last.group(0), float(right))
