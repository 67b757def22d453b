"""Which alerts a health-gated upgrade's soak counts as about its service: the labels alerts have (a pod rule's
namespace and pod, a behaviour rule's service, kube_pod_labels' instance label), matched against the release
and the pods the runtime lists for it."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from quickon_deployer.domain import alert_about

PODS = ("cache-0", "cache-metrics-7d9f8-x2k4q")


def about(
    labels: Mapping[str, str], *, service: str | None = None, namespace: str = "team-a", pods: Collection[str] = PODS
) -> bool:
    return alert_about(
        labels=labels, service=service, namespace=namespace, release="cache", release_namespace="team-a", pods=pods
    )


def test_a_pod_rule_alert_is_about_the_release_whose_pod_it_names() -> None:
    # ServiceRestarting / ServiceNotReady: sum by (namespace, pod), kube_pod_status_ready's labels.
    assert about({"namespace": "team-a", "pod": "cache-0"})
    assert about({"namespace": "team-a", "pod": "cache-metrics-7d9f8-x2k4q", "condition": "true", "job": "sim"})


def test_a_pod_of_another_release_is_not_matched_by_its_name_prefix() -> None:
    assert not about({"namespace": "team-a", "pod": "cache-2-0"})  # release cache-2's pod
    assert not about({"namespace": "team-a", "pod": "cache"})
    assert not about({"namespace": "team-a", "pod": "cache-0"}, pods=())  # not a pod the runtime lists for it


def test_the_same_pod_name_in_another_namespace_is_another_pod() -> None:
    assert not about({"namespace": "team-b", "pod": "cache-0"})
    assert not about({"pod": "cache-0"}, namespace="team-b")  # the monitor's namespace when no label says one
    assert about({"pod": "cache-0"})


def test_an_alert_naming_the_release_is_about_it_without_a_pod() -> None:
    assert about({"namespace": "team-a", "service": "cache"})  # a behaviour rule's label
    assert about({"namespace": "team-a"}, service="cache")  # the monitor's service field
    assert about({"namespace": "team-a", "label_app_kubernetes_io_instance": "cache"})  # joined with kube_pod_labels
    assert about({"namespace": "team-a", "app_kubernetes_io_instance": "cache"})
    assert not about({"namespace": "team-a", "service": "cache-2"})
    assert not about({"namespace": "team-b", "label_app_kubernetes_io_instance": "cache"})


def test_an_alert_about_no_service_is_not_about_this_one() -> None:
    assert not about({"instance": "sim-node-1", "mountpoint": "/"})  # a node's disk
    assert not about({"job": "quickon-market", "instance": "127.0.0.1:9000"})  # a platform component
    assert not about({})
