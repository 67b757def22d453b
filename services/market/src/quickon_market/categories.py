"""A category for every app: the chart's own (``artifacthub.io/category``), else one inferred from its words.

Public charts rarely carry the annotation, so without inference nearly every app of an added repository
would sit outside every category and the catalog could not be browsed. Artifact Hub predicts one from
the keywords with a trained model; a keyword table does the same job here, in the open and without a model.
The inference reads the chart's keywords and name first (chosen by its authors), then the words of its
description, and takes the category with the most hits; a chart that says ``skip-prediction`` (Artifact
Hub's "none of the categories") gets none. Inferred categories are marked as such in the catalog, so a
reader can tell a guess from the author's word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NO_CATEGORY = "skip-prediction"

# Artifact Hub's categories, each with words that name what such software is or does.
WORDS_OF = {
    "database": (
        "database db sql nosql postgres postgresql mysql mariadb mongodb mongo redis valkey memcached cache "
        "cassandra couchdb cockroachdb clickhouse elasticsearch opensearch influxdb timescaledb neo4j etcd "
        "key-value kv sqlite tidb dragonfly keydb"
    ),
    "integration-delivery": (
        "ci cd ci/cd cicd jenkins gitlab gitea gitops argo argocd flux tekton pipeline pipelines build git "
        "devops delivery deployment registry harbor nexus artifactory sonarqube drone forgejo"
    ),
    "monitoring-logging": (
        "monitoring metrics prometheus grafana alerting alertmanager logging logs loki fluentd fluent-bit "
        "observability tracing jaeger tempo uptime status dashboard exporter zabbix kibana apm"
    ),
    "networking": (
        "ingress proxy nginx traefik haproxy envoy dns coredns load-balancer loadbalancer gateway vpn "
        "service-mesh mesh istio linkerd cni network networking wireguard"
    ),
    "security": (
        "security auth authentication oauth oidc sso keycloak vault secrets certificates cert-manager tls "
        "waf firewall scanner vulnerability trivy falco policy opa kyverno identity ldap"
    ),
    "storage": (
        "storage s3 object-storage minio backup volume volumes nfs ceph filesystem files file-sharing "
        "nextcloud owncloud seafile sync velero longhorn"
    ),
    "streaming-messaging": (
        "kafka rabbitmq nats mqtt messaging message-queue queue streaming pulsar amqp mosquitto event-streaming pubsub"
    ),
    "ai-machine-learning": (
        "ai ml machine-learning llm inference model models jupyter notebook mlflow kubeflow tensorflow "
        "pytorch ollama gpu"
    ),
}
KEYWORDS = {category: frozenset(words.split()) for category, words in WORDS_OF.items()}
WORD = re.compile(r"[a-z0-9][a-z0-9/+-]*")


def category_of(
    declared: str | None, *, name: str, keywords: Iterable[str], description: str
) -> tuple[str | None, bool]:
    """The app's category and whether it was inferred (True) rather than declared by the chart."""
    if declared == NO_CATEGORY:
        return None, False
    if declared:
        return declared, False
    chosen = _infer([name.lower(), *(k.lower() for k in keywords)]) or _infer(WORD.findall(description.lower()))
    return chosen, chosen is not None


def _infer(words: list[str]) -> str | None:
    """The category most of ``words`` belong to; the first in the table's order wins a tie."""
    hits = {category: sum(word in table for word in words) for category, table in KEYWORDS.items()}
    best = max(hits, key=lambda category: hits[category])
    return best if hits[best] else None
