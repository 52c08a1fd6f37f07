"""Steps 2 and 3 together: every child's change in scope, and who it is attributed to."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from services.value.domain.attribution import COST_SHARE, shares
from services.value.domain.change import Change, change_of
from services.value.domain.model import Facts, Period
from services.value.domain.prepared import Prepared, prepared
from services.value.domain.spend import enrolled_days


@dataclass(frozen=True)
class ChildOutcome:
    child_ref: str
    indicator_code: str
    change: Change
    shares: dict[str, Fraction]  # intervention -> share; empty: nobody to attribute it to


def child_outcomes(
    facts: Facts | Prepared, period: Period, *, rule: str, window_days: int
) -> list[ChildOutcome]:
    """A child is in scope for indicator i when enrolled during `period` on an intervention
    that targets i. Attribution goes to the interventions targeting i the child was enrolled on
    between the baseline date and the latest observation's date."""
    arranged = prepared(facts)
    return arranged.remember(
        ("child_outcomes", period, rule, window_days),
        lambda: _child_outcomes(arranged, period, rule=rule, window_days=window_days),
    )


def _child_outcomes(
    arranged: Prepared, period: Period, *, rule: str, window_days: int
) -> list[ChildOutcome]:
    spend = arranged.spend
    found: list[ChildOutcome] = []
    for measured in _changes(arranged, period, window_days=window_days):
        cost = {}  # only cost share weighs spend, and only between interventions
        if rule == COST_SHARE and len(measured.days) > 1:
            cost = {k: spend.spend(k, measured.child_ref, measured.window) for k in measured.days}
        found.append(
            ChildOutcome(
                measured.child_ref,
                measured.indicator_code,
                measured.change,
                shares(rule=rule, spend=cost, days=measured.days),
            )
        )
    return found


class _Measured(NamedTuple):
    child_ref: str
    indicator_code: str
    change: Change
    window: Period  # from the baseline's day to the latest's
    days: dict[str, int]  # enrolled days in the window per intervention targeting the indicator


def _changes(arranged: Prepared, period: Period, *, window_days: int) -> list[_Measured]:
    """Every change in scope with the enrolled days that could claim it: the same for every
    rule, so worked out once for the period."""

    def compute() -> list[_Measured]:
        found: list[_Measured] = []
        for code, indicator in sorted(arranged.facts.indicators.items()):
            for child_ref, theirs in arranged.reached.get(code, []):
                starts = [p.start for _, periods in theirs for p in periods if p.overlaps(period)]
                series = arranged.series.get((child_ref, code))
                if not starts or series is None:
                    continue
                change = change_of(
                    series,
                    indicator,
                    first_start=min(starts),
                    period_end=period.end,
                    window_days=window_days,
                )
                if change is None:
                    continue
                window = Period(change.baseline.observed_on, change.latest.observed_on)
                days = {k: d for k, periods in theirs if (d := enrolled_days(periods, window))}
                found.append(_Measured(child_ref, code, change, window, days))
        return found

    return arranged.remember(("changes", period, window_days), compute)
