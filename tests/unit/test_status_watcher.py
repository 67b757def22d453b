"""The status watcher's pace: every interval while a look is quick, and no more than a tenth of the time once
looks take long (1,000 services on sim took about a second each look, every two seconds)."""

from __future__ import annotations

import pytest

from quickon_deployer.watcher import DUTY, pause_s


def test_a_quick_look_waits_the_interval() -> None:
    assert pause_s(2.0, spent_s=0.01) == 2.0


@pytest.mark.parametrize("spent_s", [0.5, 1.0, 3.0])
def test_a_long_look_keeps_watching_to_a_tenth_of_the_time(spent_s: float) -> None:
    pause = pause_s(2.0, spent_s=spent_s)
    assert spent_s / (spent_s + pause) <= DUTY + 1e-9
    assert pause >= 2.0
