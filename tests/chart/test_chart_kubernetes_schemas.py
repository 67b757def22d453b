"""The rendered chart against the Kubernetes OpenAPI schemas, offline (kubernetes-validate ships them)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import kubernetes_validate
import pytest

from support.chart import Manifest

Rendered = Callable[[str], list[Manifest]]
KUBERNETES = "1.30"  # the oldest release still maintained upstream when this was written; the chart needs 1.25+
# Custom resources whose schemas are their operators', not Kubernetes': checked by name and version here.
CUSTOM = {
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
    "ScaledObject": "keda.sh/v1alpha1",
}


def validate(obj: Manifest) -> None:
    if obj["kind"] in CUSTOM:
        assert obj["apiVersion"] == CUSTOM[obj["kind"]]
        return
    kubernetes_validate.validate(obj, KUBERNETES, strict=True)


@pytest.mark.parametrize("values", ["default", "ha", "trial"])
def test_every_rendered_object_matches_its_schema(rendered: Rendered, values: str) -> None:
    objects = rendered(values)
    assert len(objects) > 30
    for obj in objects:
        validate(obj)


def test_the_ha_values_render_the_custom_resources_too(rendered: Rendered) -> None:
    kinds = {o["kind"] for o in rendered("ha")}
    assert {"ServiceMonitor", "PrometheusRule", "HorizontalPodAutoscaler"} <= kinds


def test_the_validator_refuses_a_field_kubernetes_does_not_know(rendered: Rendered) -> None:
    deployment = copy.deepcopy(next(o for o in rendered("default") if o["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {"path": "/healthz"}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
