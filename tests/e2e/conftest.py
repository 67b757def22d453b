"""The platform the console's browser tests and the gateway's schema test share: started once, the way
`qc up` starts it, for the whole browser-and-API part of the run (starting seven processes costs half a
minute; the tests that kill services or run `qc up` themselves start their own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.platform import Platform, platform


@pytest.fixture(scope="session")
def shared_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    # A loaded machine (CI beside other work) can take minutes to start seven processes; the fixture's
    # default of two is for a quiet one.
    # localhost: the console's channel test sends to a webhook receiver of its own on this machine (a
    # notification channel may reach no loopback address unless the platform allows it).
    var = tmp_path_factory.mktemp("shared") / "var"
    with platform(var, timeout_s=400, QC_NOTIFY_ALLOWED_HOSTS="localhost") as running:
        yield running
