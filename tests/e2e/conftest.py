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
    with platform(tmp_path_factory.mktemp("shared") / "var", timeout_s=400) as running:
        yield running
