"""Steps 2 and 3 together: every child's change in scope, and who it is attributed to."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from services.value.domain.attribution import COST_SHARE, shares
from services.value.domain.change import Change, changes_of
from services.value.domain.model import Facts, Period
from services.value.domain.prepared import Prepared, prepared


@dataclass(frozen=True, slots=True)
class ChildOutcome:
    child_ref: str
    indicator_code: str
    change: Change
    shares: dict[str, Fraction]  # intervention -> share; empty: nobody to attribute it to


WHOLE = Fraction(1)


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
    # After a change, an outcome worked out before is kept when its child's change and enrolled
    # days are as they were, unless it was shared by cost and the spend has changed since.
    earlier_changes = arranged.earlier(("changes", period, window_days))
    earlier_outcomes = arranged.earlier(("child_outcomes", period, rule, window_days))
    known: dict[tuple[str, str], tuple[_Measured, ChildOutcome]] = {}
    if isinstance(earlier_changes, list) and isinstance(earlier_outcomes, list):
        known = {
            (m.child_ref, m.indicator_code): (m, o)
            for m, o in zip(earlier_changes, earlier_outcomes, strict=True)
        }
    spend_unchanged = rule != COST_SHARE or arranged.unchanged("spend")
    found: list[ChildOutcome] = []
    changes = _changes(arranged, period, window_days=window_days)
    for measured, whole in zip(changes, _claimed_whole(arranged, period, window_days), strict=True):
        outcome = whole
        if outcome is None:  # claimed by more than one intervention: shared by the rule
            was, outcome = known.get((measured.child_ref, measured.indicator_code), (None, None))
            if outcome is None or was != measured or not spend_unchanged:
                cost = {}  # only cost share weighs spend
                if rule == COST_SHARE:
                    child, window = measured.child_ref, measured.change.window
                    cost = {k: spend.spend(k, child, window) for k in measured.days}
                outcome = ChildOutcome(
                    measured.child_ref,
                    measured.indicator_code,
                    measured.change,
                    shares(rule=rule, spend=cost, days=measured.days),
                )
        found.append(outcome)
    return found


def _claimed_whole(
    arranged: Prepared, period: Period, window_days: int
) -> list[ChildOutcome | None]:
    """Alongside the period's changes, the outcome of each that at most one intervention claims:
    the same by every rule (whole or nothing), so made once for all three. None for the rest."""

    def compute() -> list[ChildOutcome | None]:
        # one shares dict per intervention, not per change: tens of thousands are kept per period
        # (nothing changes an outcome's shares once made)
        whole: dict[str, dict[str, Fraction]] = {}

        def shares_of(claimants: dict[str, int]) -> dict[str, Fraction]:
            if not claimants:
                return {}
            [k] = claimants
            return whole.setdefault(k, {k: WHOLE})

        return [
            ChildOutcome(m.child_ref, m.indicator_code, m.change, shares_of(m.days))
            if len(m.days) <= 1
            else None
            for m in _changes(arranged, period, window_days=window_days)
        ]

    return arranged.remember(("claimed_whole", period, window_days), compute)


class _Measured(NamedTuple):
    child_ref: str
    indicator_code: str
    change: Change
    days: dict[str, int]  # enrolled days in the change's window per intervention targeting it


def _changes(arranged: Prepared, period: Period, *, window_days: int) -> list[_Measured]:
    """Every change in scope with the enrolled days that could claim it: the same for every
    rule, so worked out once for the period."""
    return arranged.remember(
        ("changes", period, window_days), lambda: _measure(arranged, period, window_days)
    )


def _measure(arranged: Prepared, period: Period, window_days: int) -> list[_Measured]:
    """A child's series of an indicator is in scope when they were enrolled during `period` on
    an intervention targeting it; its baseline is looked for from the first start of those
    enrolments. Found by indicator, then child."""
    table, reach, series = arranged.observed, arranged.reach, arranged.reach_series
    interventions = list(arranged.facts.interventions)
    in_period = (
        (reach.start <= period.end.toordinal())
        & (reach.end >= period.start.toordinal())
        & (series >= 0)
    )
    never = np.iinfo(np.int64).max
    first_start = np.full(table.series_count, never, dtype=np.int64)
    np.minimum.at(first_start, series[in_period], reach.start[in_period])
    scoped = np.flatnonzero(first_start < never)
    found = changes_of(
        table,
        arranged.facts.indicators,
        scoped,
        first_start[scoped],
        period_end=period.end,
        window_days=window_days,
    )

    # the enrolled days in each change's window, per intervention (rows in the facts' order)
    window_start = np.ones(table.series_count, dtype=np.int64)  # empty windows: start > end
    window_end = np.zeros(table.series_count, dtype=np.int64)
    for at, change in found:
        window_start[at] = change.window.start.toordinal()
        window_end[at] = change.window.end.toordinal()
    claiming_rows = np.flatnonzero(series >= 0)
    claimed = series[claiming_rows]
    overlap = np.minimum(reach.end[claiming_rows], window_end[claimed]) - np.maximum(
        reach.start[claiming_rows], window_start[claimed]
    )
    days: dict[int, dict[str, int]] = defaultdict(dict)
    for row, at, extra in zip(claiming_rows, claimed, overlap, strict=True):
        if extra >= 0:
            claiming = days[int(at)]
            intervention_id = interventions[reach.intervention[row]]
            claiming[intervention_id] = claiming.get(intervention_id, 0) + int(extra) + 1

    measured = [_Measured(*table.series_names(at), change, days[at]) for at, change in found]
    return sorted(measured, key=lambda m: (m.indicator_code, m.child_ref))
