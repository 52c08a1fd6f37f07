"""Steps 2 and 3 together: every child's change in scope, and who it is attributed to."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

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
    for code, indicator in sorted(arranged.facts.indicators.items()):
        for child_ref, theirs in arranged.reached.get(code, []):
            in_scope = [p.start for _, periods in theirs for p in periods if p.overlap(period)]
            if not in_scope:
                continue
            series = arranged.series.get((child_ref, code))
            if series is None:
                continue
            change = change_of(
                series,
                indicator,
                first_start=min(in_scope),
                period_end=period.end,
                window_days=window_days,
            )
            if change is None:
                continue
            window = Period(change.baseline.observed_on, change.latest.observed_on)
            days = {k: d for k, periods in theirs if (d := enrolled_days(periods, window))}
            cost = {}  # only cost share weighs spend: the other rules need not work it out
            if rule == COST_SHARE:
                cost = {k: spend.spend(k, child_ref, window) for k in days}
            found.append(
                ChildOutcome(child_ref, code, change, shares(rule=rule, spend=cost, days=days))
            )
    return found
