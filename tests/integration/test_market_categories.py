"""Public charts rarely declare a category: the market infers one, so an added repository can be browsed."""

from __future__ import annotations

from pathlib import Path

from quickon_common.contracts.market import RepositoryAddRequested
from quickon_common.natsserver import NatsServer
from support.bus import publish, running
from support.charts import write_repository
from support.market import ask, market_service, wait_repository


async def test_apps_without_a_category_get_one_inferred_and_marked(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    repo = write_repository(
        tmp_path / "repo",
        [
            {"name": "grafana", "version": "1.0.0", "keywords": ["dashboards", "metrics"]},
            {"name": "kowl", "version": "1.0.0", "description": "A web UI for Kafka streaming clusters"},
            {"name": "hello", "version": "1.0.0", "keywords": ["demo"], "description": "Says hello"},
            {"name": "undecided", "version": "1.0.0", "keywords": ["redis"],
             "annotations": {"artifacthub.io/category": "skip-prediction"}},
            {"name": "vault", "version": "1.0.0", "keywords": ["cache"],
             "annotations": {"artifacthub.io/category": "security"}},
        ],
    )  # fmt: skip
    async with running(market_service(nats_server.url, database_url, tmp_path / "var")):
        await publish(nats_server.url, RepositoryAddRequested(repository="public", url=str(repo), operation_id="op-1"))
        await wait_repository(nats_server.url, "public", "ok", apps=5)

        apps = {a["name"]: a for a in (await ask(nats_server.url, "apps", limit=10))["apps"]}
        seen = {name: (a["category"], a["category_inferred"]) for name, a in apps.items()}
        assert seen == {
            "grafana": ("monitoring-logging", True),
            "kowl": ("streaming-messaging", True),
            "hello": (None, False),
            "undecided": (None, False),
            "vault": ("security", False),
        }
        counts = (await ask(nats_server.url, "categories"))["categories"]
        assert counts == {"monitoring-logging": 1, "streaming-messaging": 1, "security": 1}
        browsed = await ask(nats_server.url, "apps", category="streaming-messaging")
        assert [a["name"] for a in browsed["apps"]] == ["kowl"]
