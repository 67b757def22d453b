"""The chart's tests: the rendered objects of each values file, once per session."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from support.chart import Manifest, render


@pytest.fixture(scope="session")
def rendered() -> Callable[[str], list[Manifest]]:
    """The objects of each values file, rendered once per session."""
    cache: dict[str, list[Manifest]] = {}

    def get(values: str) -> list[Manifest]:
        if values not in cache:
            cache[values] = render(values)
        return cache[values]

    return get
