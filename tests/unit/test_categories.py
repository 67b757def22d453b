"""Categories inferred for charts that declare none (most public charts)."""

from __future__ import annotations

import pytest

from quickon_market.categories import category_of


@pytest.mark.parametrize(
    ("name", "keywords", "description", "expected"),
    [
        ("postgresql", [], "", "database"),
        ("grafana", ["dashboards", "metrics", "observability"], "", "monitoring-logging"),
        ("jenkins", ["ci", "cd", "automation"], "", "integration-delivery"),
        ("kowl", [], "A web UI for Kafka streaming clusters", "streaming-messaging"),
        ("keycloak", ["sso", "oidc", "identity"], "", "security"),
        ("minio", ["s3", "object-storage"], "", "storage"),
        ("traefik", ["ingress", "proxy"], "", "networking"),
        ("ollama", ["llm"], "", "ai-machine-learning"),
    ],
)
def test_a_category_is_inferred_from_the_name_and_keywords_else_the_description(
    name: str, keywords: list[str], description: str, expected: str
) -> None:
    assert category_of(None, name=name, keywords=keywords, description=description) == (expected, True)


def test_the_charts_own_category_wins_and_is_not_marked_inferred() -> None:
    assert category_of("security", name="redis", keywords=["cache"], description="") == ("security", False)


def test_skip_prediction_means_none_and_nothing_matching_means_none() -> None:
    assert category_of("skip-prediction", name="redis", keywords=["cache"], description="") == (None, False)
    assert category_of(None, name="hello", keywords=["demo"], description="Says hello") == (None, False)
    assert category_of("", name="hello", keywords=[], description="") == (None, False)


def test_keywords_outweigh_the_description() -> None:
    # A monitoring tool whose description mentions the database it watches is still monitoring.
    found = category_of(None, name="pg-exporter", keywords=["prometheus", "exporter"], description="PostgreSQL stats")
    assert found == ("monitoring-logging", True)
