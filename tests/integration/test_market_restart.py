"""A market started again answers from the catalog it already has, from its first answer on.

The catalog lives in memory, loaded from the database; a market that answered queries before loading
it said that apps it has do not exist (the deployer failed an upgrade with "no app 'redis' in
repository 'builtin'" right after the market had been killed and started again).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from nats.errors import NoRespondersError

from quickon_common.natsserver import NatsServer
from support.bus import connect, running
from support.market import ask, market_service, wait_repository

CATALOG = Path(__file__).resolve().parents[2] / "catalog"


async def test_the_first_answer_after_a_restart_knows_the_catalog(nats_server: NatsServer, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'market.db'}"
    first = market_service(nats_server.url, database_url, tmp_path / "var", builtin=CATALOG)
    async with running(first):
        await wait_repository(nats_server.url, "builtin", "ok")
        assert (await ask(nats_server.url, "app", app="redis", repository="builtin"))["name"] == "redis"

    again = market_service(nats_server.url, database_url, tmp_path / "var", builtin=CATALOG)
    nc = await connect(nats_server.url)
    await again.start()
    try:
        while True:  # the first answer the restarted market gives
            try:
                reply = await nc.request("qc.query.market.app", b'{"app": "redis", "repository": "builtin"}', 30)
                break
            except NoRespondersError:
                await asyncio.sleep(0.01)
        assert b'"name": "redis"' in reply.data or b'"name":"redis"' in reply.data, reply.data
    finally:
        await nc.close()
        await again.stop()
