"""The backup service's queries to the deployer wait for a deployer that is restarting.

A deployer killed and started again has no responder on its query subjects for a few seconds; a backup
asking then (the backup before an upgrade) must get its answer once the deployer is back, within the
query's time, instead of failing the backup and the upgrade with it.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from nats.aio.msg import Msg

from quickon_backup.adapters.deployer import Deployer
from quickon_backup.jobs import TryLater
from quickon_common.contracts.queries import deployer as deployer_queries
from quickon_common.natsserver import NatsServer
from support.bus import connect

SERVICE = deployer_queries.ServiceRequest(namespace="default", service="cache")


async def test_a_query_asked_while_no_deployer_listens_is_answered_once_one_does(nats_server: NatsServer) -> None:
    asker = await connect(nats_server.url)
    deployer_side = await connect(nats_server.url)
    try:
        deployer = Deployer(lambda: asker, timeout_s=20)
        query = asyncio.create_task(deployer.ask(deployer_queries.SERVICE, SERVICE))
        await asyncio.sleep(1.5)  # the deployer is still starting: nobody answers the subject yet
        assert not query.done()

        async def answer(msg: Msg) -> None:
            asked = json.loads(msg.data)
            reply = {"service": asked["service"], "namespace": asked["namespace"], "app": "redis", "status": "running"}
            await msg.respond(json.dumps(reply).encode())

        await deployer_side.subscribe("qc.query.deployer.service", cb=answer)
        await deployer_side.flush()
        assert (await asyncio.wait_for(query, timeout=20)).service == "cache"
    finally:
        await asker.close()
        await deployer_side.close()


async def test_a_deployer_that_never_comes_back_fails_the_query_when_its_time_is_up(nats_server: NatsServer) -> None:
    asker = await connect(nats_server.url)
    try:
        with pytest.raises(TryLater, match="the deployer does not answer"):
            await Deployer(lambda: asker, timeout_s=1.0).ask(deployer_queries.SERVICE, SERVICE)
    finally:
        await asker.close()
