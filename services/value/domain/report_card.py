"""The RBA performance report card: How much did we do? How well did we do it? Is anyone better
off? Per intervention or provider, exact until printed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from statistics import median

import numpy as np

from services.value.domain.cost_per_outcome import CostPerOutcome, enrolled_in
from services.value.domain.model import Facts, Period
from services.value.domain.observations import rows_in
from services.value.domain.prepared import Prepared, prepared

CARD_GROUPINGS = ("intervention", "provider")
# an observation is "current" if made in the last 90 days of the period (a school term or so)
CURRENT_WITHIN_DAYS = 90
# reporting within 30 days of observing counts as timely
TIMELY_WITHIN_DAYS = 30


@dataclass
class IndicatorResult:
    measured: set[str] = field(default_factory=set)
    better_off: set[str] = field(default_factory=set)


@dataclass
class Card:
    key: str
    spend: Fraction = Fraction(0)
    children: set[str] = field(default_factory=set)
    child_days: int = 0
    current: set[str] = field(default_factory=set)
    reporting_delays: list[int] = field(default_factory=list)
    indicators: dict[str, IndicatorResult] = field(default_factory=dict)

    @property
    def cost_per_child_week(self) -> Fraction | None:
        return self.spend * 7 / self.child_days if self.child_days else None

    @property
    def median_reporting_days(self) -> float | None:
        return median(self.reporting_delays) if self.reporting_delays else None

    @property
    def timely(self) -> int:
        return sum(1 for d in self.reporting_delays if d <= TIMELY_WITHIN_DAYS)


def report_cards(
    facts: Facts | Prepared, period: Period, *, group_by: str, method: CostPerOutcome
) -> dict[str, Card]:
    """`method` is the cost-per-outcome result for the same facts, period and grouping; its
    spend (with unallocated spend) and child changes are reused, not recomputed."""
    arranged = prepared(facts)
    interventions = arranged.facts.interventions
    if group_by not in CARD_GROUPINGS:
        raise ValueError(f"report cards group by {' or '.join(CARD_GROUPINGS)}, not {group_by!r}")

    def key_of(intervention_id: str) -> str:
        intervention = interventions[intervention_id]
        return (
            intervention.intervention_id if group_by == "intervention" else intervention.provider_id
        )

    cards: dict[str, Card] = {}
    targets: dict[str, set[str]] = defaultdict(set)
    for intervention in interventions.values():
        card = cards.setdefault(
            key_of(intervention.intervention_id), Card(key_of(intervention.intervention_id))
        )
        targets[card.key].update(intervention.target_indicators)
        for code in intervention.target_indicators:
            card.indicators.setdefault(code, IndicatorResult())
    for key, figures in method.rows.items():
        if key in cards:
            cards[key].spend = figures.spend

    # each child's cards: an observation or outcome is looked at against those few, not every
    # card (at 1.65M observations and 1,800 interventions, the difference is hours)
    cards_of_child: dict[str, set[str]] = defaultdict(set)
    for k, (children, days) in enrolled_in(arranged, period).by_intervention.items():
        card = cards[key_of(k)]
        card.children |= children
        card.child_days += days
        for c in children:
            cards_of_child[c].add(card.key)

    recent = Period(
        max(period.start, period.end - timedelta(days=CURRENT_WITHIN_DAYS - 1)), period.end
    )
    # each card's children's series of the indicators it targets, all looked up at once
    table = arranged.observed
    looked_up = [
        (key, child_ref, code)
        for child_ref, keys in cards_of_child.items()
        for key in keys
        for code in targets[key]
    ]
    series = table.series_numbers([c for _, c, _ in looked_up], [i for _, _, i in looked_up])
    observed = np.flatnonzero(series >= 0)
    first, after_last = table.rows_between(series[observed], recent.start, recent.end)
    for at in observed[after_last > first]:
        key, child_ref, _ = looked_up[at]
        cards[key].current.add(child_ref)
    first, after_last = table.rows_between(series[observed], period.start, period.end)
    rows = rows_in(first, after_last)
    delays = (table.recorded_days[table.recorded[rows]] - table.day[rows]).tolist()
    position = 0
    for at, count in zip(observed, (after_last - first).tolist(), strict=True):
        cards[looked_up[at][0]].reporting_delays.extend(delays[position : position + count])
        position += count

    found = method.measured
    for child, code, better in zip(
        found.child.tolist(),
        found.code.tolist(),
        found.changes.better_off.tolist(),
        strict=True,
    ):
        child_ref, indicator_code = found.children[child], found.codes[code]
        for key in cards_of_child.get(child_ref, ()):
            result = cards[key].indicators.get(indicator_code)
            if result is None:
                continue
            result.measured.add(child_ref)
            if better:
                result.better_off.add(child_ref)
    return dict(sorted(cards.items()))
