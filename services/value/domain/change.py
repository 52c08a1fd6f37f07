"""Step 2 of the method: a child's change on one indicator, from baseline to latest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from services.value.domain.model import Indicator, Observation

DEFAULT_BASELINE_WINDOW_DAYS = 180


@dataclass(frozen=True)
class Change:
    baseline: Observation
    latest: Observation
    delta: Fraction  # already multiplied by the indicator's direction: positive is better
    better_off: bool
    worse_off: bool


def baseline_of(
    observations: list[Observation], *, first_start: date, window_days: int
) -> Observation | None:
    """The latest observation on or before `first_start`, looking back at most `window_days`;
    without one, the first observation after it. `observations` are sorted."""
    earliest = first_start - timedelta(days=window_days)
    before = [o for o in observations if earliest <= o.observed_on <= first_start]
    if before:
        return before[-1]
    after = [o for o in observations if o.observed_on > first_start]
    return after[0] if after else None


def change_of(
    observations: list[Observation],
    indicator: Indicator,
    *,
    first_start: date,
    period_end: date,
    window_days: int = DEFAULT_BASELINE_WINDOW_DAYS,
) -> Change | None:
    """The change, or None without a baseline and a later observation on or before `period_end`."""
    ordered = sorted(observations)
    baseline = baseline_of(ordered, first_start=first_start, window_days=window_days)
    if baseline is None:
        return None
    upto_end = [o for o in ordered if o.observed_on <= period_end]
    if not upto_end or upto_end[-1].observed_on <= baseline.observed_on:
        return None
    latest = upto_end[-1]
    delta = (latest.value - baseline.value) * indicator.sign
    better = delta >= indicator.threshold
    worse = not better and delta <= -indicator.threshold
    return Change(baseline, latest, delta, better, worse)
