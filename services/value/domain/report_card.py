"""The RBA performance report card: How much did we do? How well did we do it? Is anyone better
off? Per intervention or provider, exact until printed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from services.value.domain.columns import ChildSet, Rows, child_sets, distinct, run_starts
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


class Reporting(NamedTuple):
    """The observations of a card's children's targeted series made in the period, by the days
    between observing and recording each."""

    observations: int
    timely: int  # within TIMELY_WITHIN_DAYS
    median_days: int | float | None  # an even count's: halfway between the middle two


NOTHING_REPORTED = Reporting(0, 0, None)


@dataclass
class IndicatorResult:
    measured: ChildSet = field(default_factory=ChildSet)
    better_off: ChildSet = field(default_factory=ChildSet)


@dataclass
class Card:
    key: str
    spend: Fraction = Fraction(0)
    children: ChildSet = field(default_factory=ChildSet)
    child_days: int = 0
    current: ChildSet = field(default_factory=ChildSet)
    reporting: Reporting = NOTHING_REPORTED
    indicators: dict[str, IndicatorResult] = field(default_factory=dict)

    @property
    def cost_per_child_week(self) -> Fraction | None:
        return self.spend * 7 / self.child_days if self.child_days else None


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
    code_at = table.code_position

    # How much: the children enrolled in the period on each card's interventions, and their days
    enrolled, pairs_of = enrolled_in(arranged, period), arranged.enrolled_rows
    card_of_intervention = np.array(
        [card_at[key_of(k)] if k in interventions else -1 for k in pairs_of.interventions],
        dtype=np.int64,
    )
    enrolled_card = card_of_intervention[pairs_of.intervention[enrolled.pairs]]  # known ones
    enrolled_child = pairs_of.child[enrolled.pairs]
    for card, children in child_sets(enrolled_card, enrolled_child, pairs_of.children).items():
        cards[keys[card]].children = children
    child_days = np.zeros(len(keys), dtype=np.int64)
    np.add.at(child_days, enrolled_card, enrolled.days)
    for card in np.flatnonzero(child_days).tolist():
        cards[keys[card]].child_days = int(child_days[card])
    # every (card, child) enrolled in the period, of children with observations, and the
    # indicators each card targets
    observed_child = arranged.enrolled_children_observed[enrolled_child]
    seen = observed_child >= 0
    pairs = distinct(enrolled_card[seen] * len(table.children) + observed_child[seen])
    pair_card, pair_child = np.divmod(pairs, max(len(table.children), 1))
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
    observed = observed[np.argsort(series[observed], kind="stable")]  # searched in table order
    recent = Period(
        max(period.start, period.end - timedelta(days=CURRENT_WITHIN_DAYS - 1)), period.end
    )
    first, after_last = table.rows_between(series[observed], recent.start, recent.end)
    with_current = observed[after_last > first]
    current = child_sets(looked_card[with_current], looked_child[with_current], names)
    for card, children in current.items():
        cards[keys[card]].current = children
    first, after_last = table.rows_between(series[observed], period.start, period.end)
    rows = rows_in(first, after_last)
    delays = table.recorded_days[table.recorded[rows]] - table.day[rows]
    card_of_row = np.repeat(looked_card[observed], after_last - first)
    for card, reporting in reporting_by_card(card_of_row, delays):
        cards[keys[card]].reporting = reporting

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
        for at, children in child_sets(card_code, found.child[change[flags]], names).items():
            card, code = divmod(at, len(table.codes))
            setattr(cards[keys[card]].indicators[table.codes[code]], field_name, children)
    return dict(sorted(cards.items()))


def reporting_by_card(card: Rows, delays: Rows) -> Iterator[tuple[int, Reporting]]:
    """Each card's reporting, from its observations' delays (`card` and `delays` alongside).
    The median is as `statistics.median` has it: the middle delay, or for an even count
    halfway between the middle two."""
    if not len(delays):
        return
    lowest = int(delays.min())
    span, cards = int(delays.max()) - lowest + 1, int(card.max()) + 1
    if cards * span > max(4 * len(delays), 1 << 20):
        # delays too far apart to count by day: sorted by card, then delay, instead
        yield from _reporting_by_sorting(card, delays - lowest, span, lowest)
        return
    # how many of each card's observations had each delay (a county's cards and a year of
    # delays: a million counts, in one pass where sorting the rows takes three times as long);
    # the k-th smallest delay is the first whose running count reaches k
    counts = np.bincount(card * span + (delays - lowest), minlength=cards * span)
    running = np.cumsum(counts.reshape(cards, span), axis=1)
    reported = running[:, -1]
    within = TIMELY_WITHIN_DAYS - lowest  # the last delay index that is timely
    timely = np.zeros(cards, dtype=np.int64) if within < 0 else running[:, min(within, span - 1)]
    below = (running < ((reported + 1) // 2)[:, None]).sum(axis=1) + lowest
    above = (running < (reported // 2 + 1)[:, None]).sum(axis=1) + lowest
    for at in np.flatnonzero(reported).tolist():
        count, low, high = int(reported[at]), int(below[at]), int(above[at])
        yield at, Reporting(count, int(timely[at]), low if count % 2 else (low + high) / 2)


def _reporting_by_sorting(
    card: Rows, offset: Rows, span: int, lowest: int
) -> Iterator[tuple[int, Reporting]]:
    """`reporting_by_card` by one sort of (card, delay - lowest) packed into one number."""
    card, offset = np.divmod(np.sort(card * span + offset), span)
    delays = offset + lowest
    first = run_starts(card)
    counts = np.diff(np.r_[first, len(card)])
    timely = np.bincount(card[delays <= TIMELY_WITHIN_DAYS], minlength=int(card[-1]) + 1)
    below, above = delays[first + (counts - 1) // 2].tolist(), delays[first + counts // 2].tolist()
    for n, (at, count) in enumerate(zip(card[first].tolist(), counts.tolist(), strict=True)):
        middle = below[n] if count % 2 else (below[n] + above[n]) / 2
        yield at, Reporting(count, int(timely[at]), middle)
