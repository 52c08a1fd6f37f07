"""The loader's progress line: a few redraws a second, whatever the pace of the steps."""

from __future__ import annotations

import io

from deploy.council.load import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_steps_faster_than_the_redraw_rate_draw_only_the_start_and_the_end() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress("enrolments", 1_000, clock=clock, out=out)
    for _ in range(1_000):
        progress.step()
    assert out.getvalue().count("\r") == 2
    assert out.getvalue().endswith(" 1000/1000      100%     0.0s\n")


def test_a_step_after_a_quarter_second_is_drawn() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress("ledger transactions", 10, clock=clock, out=out)
    progress.step()
    clock.now += 1 / Progress.REDRAWS_A_SECOND
    progress.step()
    assert out.getvalue().count("\r") == 2
    assert out.getvalue().endswith("        2/10         20%     0.2s")
