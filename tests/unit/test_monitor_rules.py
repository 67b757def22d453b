"""The monitor's pure rules: templates to PromQL, the alert state machine, summaries, silences, hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from quickon_common.contracts.monitor import Matcher, RuleSpec
from quickon_monitor import domain, promql
from quickon_monitor.behaviour import in_window, outside_working_hours

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_templates_render_to_the_exporters_metric_names() -> None:
    disk = promql.render(RuleSpec(name="d", template="node_disk", params={"percent": 90}))
    assert "node_filesystem_avail_bytes" in disk and "node_filesystem_size_bytes" in disk and disk.endswith("> 90")
    restarts = promql.render(RuleSpec(name="r", template="restarts", params={"count": 5, "window_s": 900}))
    assert restarts == "sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total[900s])) > 5"
    assert (
        promql.render(RuleSpec(name="n", template="service_not_ready"))
        == 'kube_pod_status_ready{condition="true"} == 0'
    )
    cpu = promql.render(RuleSpec(name="c", template="cpu_of_limit"))
    assert "container_cpu_usage_seconds_total" in cpu and "kube_pod_container_resource_limits" in cpu
    down = promql.render(RuleSpec(name="u", template="component_down", params={"job_pattern": 'a"b'}))
    assert down == 'up{job=~"a\\"b"} == 0'  # a quote cannot end the matcher early
    assert promql.render(RuleSpec(name="x", expr="vector(1)")) == "vector(1)"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "a", "template": "node_disk", "params": {"percent": 500}}, "params.percent"),
        ({"name": "a", "template": "node_disk", "params": {"nope": 1}}, "params.nope"),
        ({"name": "a", "template": "no_such"}, "template"),
        ({"name": "a"}, "either template"),
        ({"name": "a", "template": "node_disk", "expr": "up"}, "either template"),
        ({"name": "a", "expr": "up", "summary": "{{ range . }}"}, "not a placeholder"),
        ({"name": "a", "expr": "up", "labels": {"bad-name": "x"}}, "bad-name"),
        ({"name": "a", "expr": "up", "for_s": -1}, "for_s"),
    ],
)
def test_a_bad_rule_is_refused_naming_what_is_wrong(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RuleSpec.model_validate(body)
    assert field in str(refused.value)


def test_pending_becomes_firing_only_after_for() -> None:
    state, change = domain.step(None, holds=True, value=1, now=at(0), for_s=30, keep_firing_for_s=0)
    assert state is not None and state.state == "pending" and change is None
    state, change = domain.step(state, holds=True, value=1, now=at(15), for_s=30, keep_firing_for_s=0)
    assert state is not None and state.state == "pending" and change is None
    state, change = domain.step(state, holds=True, value=2, now=at(30), for_s=30, keep_firing_for_s=0)
    assert state is not None and state.state == "firing" and change == "fired" and state.fired_at == at(30)
    state, change = domain.step(state, holds=True, value=2, now=at(45), for_s=30, keep_firing_for_s=0)
    assert state is not None and state.state == "firing" and change is None  # fires once
    state, change = domain.step(state, holds=False, value=None, now=at(60), for_s=30, keep_firing_for_s=0)
    assert state is not None and state.state == "resolved" and change == "resolved"


def test_a_pending_alert_that_stops_holding_is_dropped_unannounced() -> None:
    state, _ = domain.step(None, holds=True, value=1, now=at(0), for_s=30, keep_firing_for_s=0)
    assert domain.step(state, holds=False, value=None, now=at(15), for_s=30, keep_firing_for_s=0) == (None, None)


def test_keep_firing_for_damps_flapping() -> None:
    state, change = domain.step(None, holds=True, value=1, now=at(0), for_s=0, keep_firing_for_s=60)
    assert state is not None and change == "fired"
    state, change = domain.step(state, holds=False, value=None, now=at(15), for_s=0, keep_firing_for_s=60)
    assert state is not None and state.state == "firing" and change is None
    state, change = domain.step(state, holds=True, value=1, now=at(30), for_s=0, keep_firing_for_s=60)
    assert state is not None and state.state == "firing" and change is None  # flapped back: no second fire
    state, change = domain.step(state, holds=False, value=None, now=at(90), for_s=0, keep_firing_for_s=60)
    assert state is not None and state.state == "resolved" and change == "resolved"


def test_one_alert_per_label_set_in_any_order() -> None:
    assert domain.fingerprint("r", {"a": "1", "b": "2"}) == domain.fingerprint("r", {"b": "2", "a": "1"})
    assert domain.fingerprint("r", {"a": "1"}) != domain.fingerprint("r", {"a": "2"})
    assert domain.fingerprint("r", {"a": "1"}) != domain.fingerprint("s", {"a": "1"})


def test_summary_placeholders_as_prometheus_fills_them() -> None:
    text = "{{ $labels.job }} on {{$labels.instance}} is {{ $value }} ({{ $labels.absent }})"
    filled = domain.summary(text, labels={"job": "quickon-market", "instance": "h:1"}, value=0.0)
    assert filled == "quickon-market on h:1 is 0 ()"


def test_labels_of_an_alert() -> None:
    labels = domain.alert_labels({"team": "ops"}, {"__name__": "up", "job": "j"}, rule_name="Down", severity="critical")
    assert labels == {"job": "j", "team": "ops", "alertname": "Down", "severity": "critical"}


def test_silences_match_by_every_matcher_within_their_window_and_team() -> None:
    matchers = (Matcher(name="job", value="quickon-.*", is_regex=True), Matcher(name="env", value="x", is_equal=False))
    window = domain.SilenceWindow(team=None, matchers=matchers, starts_at=at(0), ends_at=at(60))
    labels = {"job": "quickon-market", "env": "prod"}
    assert domain.silenced(labels, team=None, silences=[window], now=at(10))
    assert not domain.silenced(labels, team=None, silences=[window], now=at(60))  # ended
    assert not domain.silenced({**labels, "env": "x"}, team=None, silences=[window], now=at(10))
    red = domain.SilenceWindow(team="red", matchers=window.matchers, starts_at=at(0), ends_at=at(60))
    assert not domain.silenced(labels, team="blue", silences=[red], now=at(10))  # a team silences its own only
    assert domain.silenced(labels, team="red", silences=[red], now=at(10))
    bad = domain.SilenceWindow(
        team=None, matchers=(Matcher(name="job", value="(", is_regex=True),), starts_at=at(0), ends_at=at(60)
    )
    assert not domain.silenced(labels, team=None, silences=[bad], now=at(10))  # a broken regex matches nothing


def test_a_team_rule_sees_only_its_namespaces() -> None:
    owners = {"red": "team-red"}
    assert domain.in_scope({"namespace": "red"}, team="team-red", namespaces=owners)
    assert not domain.in_scope({"namespace": "blue"}, team="team-red", namespaces=owners)
    assert not domain.in_scope({}, team="team-red", namespaces=owners)
    assert domain.in_scope({"namespace": "blue"}, team=None, namespaces=owners)


def test_an_alert_of_a_platform_rule_belongs_to_the_team_owning_its_namespace() -> None:
    owners = {"shop": "team-a"}
    assert domain.owner({"namespace": "shop", "pod": "web-0"}, team=None, namespaces=owners) == "team-a"
    assert domain.owner({"node": "sim-node-1"}, team=None, namespaces=owners) is None  # a node: the platform's
    assert domain.owner({"namespace": "elsewhere"}, team=None, namespaces=owners) is None
    assert domain.owner({"namespace": "shop"}, team="team-b", namespaces=owners) == "team-b"  # its rule's team


@pytest.mark.parametrize(
    ("query", "base", "op", "threshold"),
    [
        ('up{job=~"quickon-.+"} == 0', 'up{job=~"quickon-.+"}', "==", 0.0),
        ("sum by (ns) (rate(x[5m])) > 85", "sum by (ns) (rate(x[5m]))", ">", 85.0),
        ('100 * (1 - a{fstype!~"tmpfs"} / b) >= 2e3', '100 * (1 - a{fstype!~"tmpfs"} / b)', ">=", 2000.0),
        ('x{l="> 3 and"} < -1', 'x{l="> 3 and"}', "<", -1.0),  # what is quoted or bracketed is not looked at
        ("(a > 1) != 0.5", "(a > 1)", "!=", 0.5),
    ],
)
def test_a_trailing_comparison_with_a_number_is_split_from_its_base(
    query: str, base: str, op: str, threshold: float
) -> None:
    assert promql.condition(query) == promql.Condition(base, op, threshold)


@pytest.mark.parametrize(
    "query",
    [
        "a > 1 and b > 2",  # and/or/unless bind looser than the comparison
        "a > 1 or b",
        "a > 1 unless b",
        "a > bool 1",  # bool: 0 or 1 for every series, not a filter
        "a > 1 + 2",  # the right side is an expression
        "a > b",
        "5 < a",
        "sum(a)",
    ],
)
def test_a_query_whose_last_operation_is_not_a_plain_threshold_is_kept_whole(query: str) -> None:
    assert promql.condition(query) == promql.Condition(query)


def test_a_condition_compares_as_prometheus_does() -> None:
    over = promql.Condition("a", ">", 85)
    assert over.holds(90) and not over.holds(85) and not over.holds(float("nan"))
    assert promql.Condition("a").holds(float("nan"))  # not split: what Prometheus returned holds
    assert promql.Condition("a", "!=", 1).holds(float("nan"))


def test_working_hours_and_windows() -> None:
    monday_noon = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert not outside_working_hours(monday_noon, start_hour=8, end_hour=19, timezone="UTC")
    assert outside_working_hours(monday_noon.replace(hour=22), start_hour=8, end_hour=19, timezone="UTC")
    assert outside_working_hours(monday_noon, start_hour=8, end_hour=19, timezone="Asia/Tokyo")  # 21:00 there
    assert outside_working_hours(monday_noon - timedelta(days=1), start_hour=8, end_hour=19, timezone="UTC")  # Sunday
    times = [at(0), at(100), at(290), at(400)]
    assert in_window(times, now=at(300), window_s=300) == 3
