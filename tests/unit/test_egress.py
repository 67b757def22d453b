"""The market's egress rule decides on the address a name resolves to when it connects, not on the name."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickon_market.egress import Egress
from quickon_market.settings import MarketSettings
from quickon_market.sources import SourceError


async def test_a_name_is_judged_by_the_address_it_resolves_to_at_connect_time() -> None:
    with pytest.raises(SourceError, match=r"localhost resolves to 127\.0\.0\.1, which is a loopback address"):
        await Egress().address("localhost", 80)
    assert await Egress.of(MarketSettings(allowed_hosts=["127.0.0.0/8"])).address("localhost", 80) == "127.0.0.1"
    assert await Egress.of(MarketSettings(allowed_hosts=["LocalHost"])).address("localhost", 80) == "127.0.0.1"


def test_settings_take_comma_separated_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QC_MARKET_ALLOWED_HOSTS", "charts.internal, 10.0.0.0/8")
    monkeypatch.setenv("QC_MARKET_LOCAL_ROOTS", "/srv/charts")
    egress = Egress.of(MarketSettings())
    assert egress.allowed_names == {"charts.internal"} and [str(n) for n in egress.allowed_networks] == ["10.0.0.0/8"]
    egress.check_host("10.1.2.3")
    egress.check_directory(Path("/srv/charts/team"))
    with pytest.raises(SourceError, match="QC_MARKET_LOCAL_ROOTS"):
        egress.check_directory(Path("/etc"))
