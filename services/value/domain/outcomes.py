"""Steps 2 and 3 together: every child's change in scope, and who it is attributed to."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from services.value.domain.attribution import shares
from services.value.domain.change import Change, change_of
from services.value.domain.model import Facts, Observation, Period
from services.value.domain.spend import SpendIndex, enrolled_days


@dataclass(frozen=True)
class ChildOutcome:
    child_ref: str
    indicator_code: str
    change: Change
    shares: dict[str, Fraction]  # intervention -> share; empty: nobody to attribute it to


def child_outcomes(
    facts: Facts,
    period: Period,
    *,
    rule: str,
    window_days: int,
    spend: SpendIndex,
    enrolled: dict[tuple[str, str], list[Period]],
) -> list[ChildOutcome]:
    """A child is in scope for indicator i when enrolled during `period` on an intervention
    that targets i. Attribution goes to the interventions targeting i the child was enrolled on
    between the baseline date and the latest observation's date."""
    observations: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for observation in facts.observations:
        observations[(observation.child_ref, observation.indicator_code)].append(observation)
    targeting: dict[str, list[str]] = defaultdict(list)
    for intervention in facts.interventions.values():
        for code in intervention.target_indicators:
            targeting[code].append(intervention.intervention_id)
    # each child's own enrolments, so a child costs its few interventions, not every one
    # targeting the indicator (hundreds in a county)
    enrolled_by_child: dict[str, dict[str, list[Period]]] = defaultdict(dict)
    for (intervention_id, child_ref), periods in enrolled.items():
        enrolled_by_child[child_ref][intervention_id] = periods

    found: list[ChildOutcome] = []
    for code, indicator in sorted(facts.indicators.items()):
        order = {k: i for i, k in enumerate(targeting[code])}
        children = sorted(
            c for c, own in enrolled_by_child.items() if not order.keys().isdisjoint(own)
        )
        for child_ref in children:
            own = enrolled_by_child[child_ref]
            theirs = {k: own[k] for k in sorted(order.keys() & own.keys(), key=order.__getitem__)}
            in_scope = [p for periods in theirs.values() for p in periods if p.overlap(period)]
            if not in_scope:
                continue
            change = change_of(
                observations.get((child_ref, code), []),
                indicator,
                first_start=min(p.start for p in in_scope),
                period_end=period.end,
                window_days=window_days,
            )
            if change is None:
                continue
            window = Period(change.baseline.observed_on, change.latest.observed_on)
            days = {k: d for k, periods in theirs.items() if (d := enrolled_days(periods, window))}
            cost = {k: spend.spend(k, child_ref, window) for k in days}
            found.append(
                ChildOutcome(child_ref, code, change, shares(rule=rule, spend=cost, days=days))
            )
    return found
