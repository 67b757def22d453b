"""The consumer reads a message's stream sequence and delivery count as nats-py's metadata does."""

from __future__ import annotations

import pytest
from nats.aio.msg import Msg

from quickon_common.consumer import _position

REPLIES = [
    "$JS.ACK.QUICKON.monitor-observe.3.1042.17.1733500000000000000.5",  # without domain (9 tokens)
    "$JS.ACK._.ACCHASH.QUICKON.monitor-observe.1.7.7.1733500000000000000.0",  # with domain, no random token
    "$JS.ACK.hub.ACCHASH.QUICKON.monitor-observe.2.99999.12.1733500000000000000.40.r4nd0m",
]


@pytest.mark.parametrize("reply", REPLIES)
def test_position_is_nats_pys_sequence_and_delivery_count(reply: str) -> None:
    msg = Msg(_client=None, subject="qc.x", reply=reply)  # type: ignore[arg-type]
    assert _position(msg) == (msg.metadata.sequence.stream, msg.metadata.num_delivered)
