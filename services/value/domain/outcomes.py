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
    children_by_intervention: dict[str, list[str]] = defaultdict(list)
    for intervention_id, child_ref in enrolled:
        children_by_intervention[intervention_id].append(child_ref)

    found: list[ChildOutcome] = []
    for code, indicator in sorted(facts.indicators.items()):
        children = sorted({c for k in targeting[code] for c in children_by_intervention[k]})
        for child_ref in children:
            in_scope = [
                p
                for k in targeting[code]
                for p in enrolled.get((k, child_ref), [])
                if p.overlap(period)
            ]
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
            days = {
                k: d
                for k in targeting[code]
                if (d := enrolled_days(enrolled.get((k, child_ref), []), window))
            }
            cost = {k: spend.spend(k, child_ref, window) for k in days}
            found.append(
                ChildOutcome(child_ref, code, change, shares(rule=rule, spend=cost, days=days))
            )
    return found
