"""The named series of the metrics query (:data:`quickon_common.contracts.queries.metrics.SERIES`) as PromQL,
against the names kube-state-metrics, cAdvisor and node-exporter give (and the sim runtime exports).

Pure: a series, a namespace and a service in, a query out. A service's series keep to its namespace by a
label matcher in every selector, and to its release through its pods' ``app.kubernetes.io/instance`` label
(``kube_pod_labels``), so what a team member asks for cannot reach past their own services. Both names are
DNS labels (the request's model checks them), so they go into the matchers as they are.
"""

from __future__ import annotations

from .promql import NOT_DISKS

CONTAINERS = 'container!="", container!="POD"'  # not the pod's own cgroup, nor its pause container
RATE_WINDOW_S = 300  # rate() over five minutes at least (more when the step is longer, not to skip samples)


def _pods(namespace: str, service: str | None) -> str:
    """The service's pods (or every QuickOn service's pods of the namespace), one series each, labelled
    ``service`` with the release's name."""
    release = f'"{service}"' if service else '~".+"'
    labels = f'kube_pod_labels{{namespace="{namespace}", label_app_kubernetes_io_instance={release}}}'
    renamed = f'label_replace({labels}, "service", "$1", "label_app_kubernetes_io_instance", "(.+)")'
    return f"max by (namespace, pod, service) ({renamed})"  # one per pod, even with two kube-state-metrics


def service_promql(name: str, *, namespace: str, service: str | None, window_s: int) -> str:
    """A service series: per pod of ``service``, or per service of ``namespace`` when ``service`` is None."""
    inner = {
        "service_cpu": f'rate(container_cpu_usage_seconds_total{{namespace="{namespace}", {CONTAINERS}}}[{window_s}s])',
        "service_memory": f'container_memory_working_set_bytes{{namespace="{namespace}", {CONTAINERS}}}',
        "service_restarts": f'kube_pod_container_status_restarts_total{{namespace="{namespace}"}}',
        "service_ready": f'kube_pod_status_ready{{namespace="{namespace}", condition="true"}}',
    }[name]
    by = "namespace, service, pod" if service else "namespace, service"
    return f"sum by ({by}) ({inner} * on (namespace, pod) group_left (service) {_pods(namespace, service)})"


def platform_promql(name: str, *, window_s: int) -> str:
    """A node's or a platform component's series (platform admins)."""
    if name == "node_cpu":
        return f"sum by (node) (rate(container_cpu_usage_seconds_total{{{CONTAINERS}}}[{window_s}s]))"
    if name == "node_memory":
        return f"sum by (node) (container_memory_working_set_bytes{{{CONTAINERS}}})"
    if name == "node_disk":
        return f"100 * (1 - node_filesystem_avail_bytes{{{NOT_DISKS}}} / node_filesystem_size_bytes{{{NOT_DISKS}}})"
    if name == "node_pods":
        unfinished = 'max by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Running"}) == 1'
        return f'count by (node) (kube_pod_info{{node!=""}} * on (namespace, pod) group_left () ({unfinished}))'
    if name == "component_up":
        return 'up{job=~"quickon-.+"}'
    if name == "component_lag":
        # Every replica of a service reports the same consumers' lag: the largest is the lag.
        return 'max by (component, consumer) (quickon_consumer_pending{job=~"quickon-.+"})'
    raise ValueError(f"{name!r} is not a platform series")


def window(step_s: int | None) -> int:
    """The range rate() looks back over: five minutes, or the step when it is longer."""
    return max(RATE_WINDOW_S, step_s or 0)
