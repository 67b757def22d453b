"""The metrics query's named series: each one the catalog lists has PromQL, a service's keeps to its namespace
and release in every selector, and a request out of bounds is refused naming the parameter to change."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from quickon_common.contracts.queries.metrics import MAX_POINTS, SERIES, MetricsRequest, default_step
from quickon_monitor import series

SELECTOR = re.compile(r"\b([a-z_]+)\{([^}]*)\}")


def test_every_series_of_the_catalog_has_its_promql() -> None:
    for info in SERIES.values():
        if info.scope == "service":
            assert series.service_promql(info.name, namespace="red", service="cache", window_s=300)
        else:
            assert series.platform_promql(info.name, window_s=300)


@pytest.mark.parametrize("name", [s.name for s in SERIES.values() if s.scope == "service"])
def test_a_services_series_selects_only_its_namespace_and_release(name: str) -> None:
    query = series.service_promql(name, namespace="red", service="cache", window_s=300)
    selectors = SELECTOR.findall(query)
    assert selectors and all('namespace="red"' in matchers for _, matchers in selectors), query
    assert 'kube_pod_labels{namespace="red", label_app_kubernetes_io_instance="cache"}' in query
    assert query.startswith("sum by (namespace, service, pod) (")
    # Without a service: the namespace's services, one series each.
    every = series.service_promql(name, namespace="red", service=None, window_s=300)
    assert every.startswith("sum by (namespace, service) (") and 'label_app_kubernetes_io_instance=~".+"' in every


def test_rates_look_back_over_the_step_when_it_is_longer_than_five_minutes() -> None:
    assert series.window(None) == series.window(15) == 300
    assert "[3600s]" in series.service_promql(
        "service_cpu", namespace="red", service=None, window_s=series.window(3600)
    )


def test_the_default_step_gives_about_300_points_and_bounds_are_refused_naming_the_parameter() -> None:
    assert default_step(3600) == 15 and default_step(7 * 86400) == 2016
    assert 7 * 86400 // default_step(7 * 86400) <= MAX_POINTS
    for body, field in (
        ({"series": "service_cpu", "since_s": 86400, "step_s": 1}, "step"),
        ({"series": "nope"}, "series"),
        ({}, "series"),
        ({"series": "node_cpu", "service": "cache"}, "service"),
        ({"series": "service_cpu", "service": 'cache"} or vector(1)'}, "service"),
        ({"series": "service_cpu", "since_s": 8 * 86400}, "since_s"),
    ):
        with pytest.raises(ValidationError, match=field):
            MetricsRequest.model_validate(body)
