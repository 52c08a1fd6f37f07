"""The RBA performance report card: How much did we do? How well did we do it? Is anyone better
off? Per intervention or provider, exact until printed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from statistics import median

import numpy as np

from services.value.domain.columns import split_by
from services.value.domain.cost_per_outcome import enrolled_in, spent_in
from services.value.domain.model import Facts, Period
from services.value.domain.observations import rows_in
from services.value.domain.outcomes import measured
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
    facts: Facts | Prepared, period: Period, *, group_by: str, window_days: int
) -> dict[str, Card]:
    """The period's spend, enrolments and changes are those the cost-per-outcome report sums
    (worked out once for both); no attribution rule: a card counts each child once."""
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
    for k, (amount, _) in spent_in(arranged, period).by_intervention.items():
        if k in interventions:
            cards[key_of(k)].spend += amount

    # cards, children and indicators as positions (cards in `keys`, children and indicators in
    # the observation table's names): observations and changes are matched to the cards by array
    # searches (at 1.65M observations and 1,800 interventions, a loop per child and card takes
    # seconds)
    table = arranged.observed
    keys = list(cards)
    card_at = {key: n for n, key in enumerate(keys)}
    child_at, code_at = table.child_position, table.code_position

    # How much: the children enrolled in the period on each card's interventions, and their days
    enrolled, pairs_of = enrolled_in(arranged, period), arranged.enrolled_rows
    card_of_intervention = np.array(
        [card_at[key_of(k)] if k in interventions else -1 for k in pairs_of.interventions],
        dtype=np.int64,
    )
    enrolled_card = card_of_intervention[pairs_of.intervention[enrolled.pairs]]  # known ones
    enrolled_child = pairs_of.child[enrolled.pairs]
    for card, children in split_by(enrolled_card, pairs_of.children[enrolled_child]):
        cards[keys[card]].children = set(children.tolist())
    child_days = np.zeros(len(keys), dtype=np.int64)
    np.add.at(child_days, enrolled_card, enrolled.days)
    for card in np.flatnonzero(child_days).tolist():
        cards[keys[card]].child_days = int(child_days[card])
    # every (card, child) enrolled in the period, of children with observations, and the
    # indicators each card targets
    in_table = np.array([child_at.get(c, -1) for c in pairs_of.children.tolist()], dtype=np.int64)
    observed_child = in_table[enrolled_child]
    seen = observed_child >= 0
    pairs = np.unique(enrolled_card[seen] * len(child_at) + observed_child[seen])
    pair_card, pair_child = np.divmod(pairs, max(len(child_at), 1))
    targeted = np.zeros((len(keys), len(table.codes)), dtype=bool)
    for key, codes in targets.items():
        targeted[card_at[key], [code_at[c] for c in codes if c in code_at]] = True

    found = measured(arranged, period, window_days=window_days)
    names = found.children  # the table's, as an array

    # How well: each card's children's series of the indicators it targets, looked up at once
    looked_card, looked_code = np.nonzero(targeted[pair_card])  # row: a pair; column: a code
    looked_child = pair_child[looked_card]
    looked_card = pair_card[looked_card]
    series = table.series_at(looked_child, looked_code)
    observed = np.flatnonzero(series >= 0)
    recent = Period(
        max(period.start, period.end - timedelta(days=CURRENT_WITHIN_DAYS - 1)), period.end
    )
    first, after_last = table.rows_between(series[observed], recent.start, recent.end)
    with_current = observed[after_last > first]
    for card, children in split_by(looked_card[with_current], looked_child[with_current]):
        cards[keys[card]].current.update(names[children].tolist())
    first, after_last = table.rows_between(series[observed], period.start, period.end)
    rows = rows_in(first, after_last)
    delays = table.recorded_days[table.recorded[rows]] - table.day[rows]
    for card, card_delays in split_by(np.repeat(looked_card[observed], after_last - first), delays):
        cards[keys[card]].reporting_delays.extend(card_delays.tolist())

    # Is anyone better off: each change counts on every card of its child that targets it
    by_child = np.argsort(pair_child, kind="stable")
    low = np.searchsorted(pair_child[by_child], found.child, side="left")
    high = np.searchsorted(pair_child[by_child], found.child, side="right")
    change = np.repeat(np.arange(found.changes.count), high - low)
    change_card = pair_card[by_child[rows_in(low, high)]]
    counted = targeted[change_card, found.code[change]]
    change, change_card = change[counted], change_card[counted]
    for flags, field_name in (
        (np.ones(len(change), dtype=bool), "measured"),
        (found.changes.better_off[change], "better_off"),
    ):
        card_code = change_card[flags] * len(table.codes) + found.code[change[flags]]
        for at, children in split_by(card_code, found.child[change[flags]]):
            card, code = divmod(at, len(table.codes))
            result = cards[keys[card]].indicators[table.codes[code]]
            getattr(result, field_name).update(names[children].tolist())
    return dict(sorted(cards.items()))
