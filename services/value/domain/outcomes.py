"""Steps 2 and 3 together: every child's change in scope, and who it is attributed to."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from services.value.domain.attribution import COST_SHARE, shares
from services.value.domain.change import Change, change_of
from services.value.domain.model import Facts, Period
from services.value.domain.prepared import Enrolled, Prepared, prepared
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
    # After a change, a change worked out before and carried over (the very `Change` object) has
    # the outcome it had, unless that was shared by cost and the spend has changed since.
    earlier = arranged.earlier(("child_outcomes", period, rule, window_days))
    known = {id(o.change): o for o in earlier} if isinstance(earlier, list) else {}
    spend_unchanged = rule != COST_SHARE or arranged.unchanged("spend")
    found: list[ChildOutcome] = []
    for measured in _changes(arranged, period, window_days=window_days):
        outcome = known.get(id(measured.change))
        if outcome is None or not (spend_unchanged or len(measured.days) <= 1):
            cost = {}  # only cost share weighs spend, and only between interventions
            if rule == COST_SHARE and len(measured.days) > 1:
                child, window = measured.child_ref, measured.window
                cost = {k: spend.spend(k, child, window) for k in measured.days}
            outcome = ChildOutcome(
                measured.child_ref,
                measured.indicator_code,
                measured.change,
                shares(rule=rule, spend=cost, days=measured.days),
            )
        found.append(outcome)
    return found


class _Measured(NamedTuple):
    child_ref: str
    indicator_code: str
    change: Change
    window: Period  # from the baseline's day to the latest's
    days: dict[str, int]  # enrolled days in the window per intervention targeting the indicator


def _changes(arranged: Prepared, period: Period, *, window_days: int) -> list[_Measured]:
    """Every change in scope with the enrolled days that could claim it: the same for every
    rule, so worked out once for the period. After a change that only added observations, the
    earlier list is kept but for the (child, indicator) pairs they were added to."""

    def compute() -> list[_Measured]:
        earlier = arranged.earlier(("changes", period, window_days))
        added = arranged.observations_added()
        same_reach = arranged.unchanged("reached", "indicators")
        if isinstance(earlier, list) and added is not None and same_reach:
            return _changes_updated(arranged, earlier, added, period, window_days)
        found: list[_Measured] = []
        for code in sorted(arranged.facts.indicators):
            for child_ref, theirs in arranged.reached.get(code, []):
                if measured := _measure(arranged, code, child_ref, theirs, period, window_days):
                    found.append(measured)
        return found

    return arranged.remember(("changes", period, window_days), compute)


def _changes_updated(
    arranged: Prepared,
    earlier: list[_Measured],
    added: set[tuple[str, str]],
    period: Period,
    window_days: int,
) -> list[_Measured]:
    """`earlier`, the period's changes before observations were `added` to some (child,
    indicator) series, with those series' changes worked out again."""
    if not added:
        return earlier
    kept = [m for m in earlier if (m.child_ref, m.indicator_code) not in added]
    for child_ref, code in added:
        reached = arranged.reached.get(code, [])
        at = bisect_left(reached, (child_ref,))
        if code in arranged.facts.indicators and at < len(reached) and reached[at][0] == child_ref:
            theirs = reached[at][1]
            if measured := _measure(arranged, code, child_ref, theirs, period, window_days):
                kept.append(measured)
    # in the order a full search finds them: by indicator, then child
    return sorted(kept, key=lambda m: (m.indicator_code, m.child_ref))


def _measure(
    arranged: Prepared,
    code: str,
    child_ref: str,
    theirs: Enrolled,
    period: Period,
    window_days: int,
) -> _Measured | None:
    """The child's change on the indicator in scope for `period`, if they were enrolled then."""
    starts = [p.start for _, periods in theirs for p in periods if p.overlaps(period)]
    series = arranged.series.get((child_ref, code))
    if not starts or series is None:
        return None
    change = change_of(
        series,
        arranged.facts.indicators[code],
        first_start=min(starts),
        period_end=period.end,
        window_days=window_days,
    )
    if change is None:
        return None
    window = Period(change.baseline.observed_on, change.latest.observed_on)
    days = {k: d for k, periods in theirs if (d := enrolled_days(periods, window))}
    return _Measured(child_ref, code, change, window, days)
