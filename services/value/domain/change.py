"""Step 2 of the method: a child's change on one indicator, from baseline to latest."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import NamedTuple

from services.value.domain.model import Indicator, Observation, Period

DEFAULT_BASELINE_WINDOW_DAYS = 180


@dataclass(frozen=True)
class Change:
    baseline: Observation
    latest: Observation
    delta: Fraction  # already multiplied by the indicator's direction: positive is better
    better_off: bool
    worse_off: bool


class Series(NamedTuple):
    """One child's current observations of one indicator, sorted, with their days alongside so a
    report finds a baseline or a latest observation by bisection."""

    days: list[date]
    observations: list[Observation]

    @classmethod
    def of(cls, observations: Iterable[Observation]) -> Series:
        ordered = sorted(observations)
        return cls([o.observed_on for o in ordered], ordered)

    def observed_between(self, period: Period) -> list[Observation]:
        first = bisect_left(self.days, period.start)
        return self.observations[first : bisect_right(self.days, period.end, lo=first)]


def baseline_of(series: Series, *, first_start: date, window_days: int) -> Observation | None:
    """The latest observation on or before `first_start`, looking back at most `window_days`;
    without one, the first observation after it."""
    after = bisect_right(series.days, first_start)
    if after and series.days[after - 1] >= first_start - timedelta(days=window_days):
        return series.observations[after - 1]
    return series.observations[after] if after < len(series.days) else None


def change_of(
    series: Series,
    indicator: Indicator,
    *,
    first_start: date,
    period_end: date,
    window_days: int = DEFAULT_BASELINE_WINDOW_DAYS,
) -> Change | None:
    """The change, or None without a baseline and a later observation on or before `period_end`."""
    baseline = baseline_of(series, first_start=first_start, window_days=window_days)
    if baseline is None:
        return None
    upto_end = bisect_right(series.days, period_end)
    if not upto_end or series.days[upto_end - 1] <= baseline.observed_on:
        return None
    latest = series.observations[upto_end - 1]
    delta = (latest.value - baseline.value) * indicator.sign
    better = delta >= indicator.threshold
    worse = not better and delta <= -indicator.threshold
    return Change(baseline, latest, delta, better, worse)
