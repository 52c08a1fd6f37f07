"""The RBA performance report card: How much did we do? How well did we do it? Is anyone better
off? Per intervention or provider, exact until printed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import NamedTuple

from services.value.domain.cost_per_outcome import outcomes_in
from services.value.domain.model import Facts, Period
from services.value.domain.queries import Source, exact_sums, source_of, window

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
    measured: set[str] = field(default_factory=set)
    better_off: set[str] = field(default_factory=set)


@dataclass
class Card:
    key: str
    spend: Fraction = Fraction(0)
    children: set[str] = field(default_factory=set)
    child_days: int = 0
    current: set[str] = field(default_factory=set)
    reporting: Reporting = NOTHING_REPORTED
    indicators: dict[str, IndicatorResult] = field(default_factory=dict)

    @property
    def cost_per_child_week(self) -> Fraction | None:
        return self.spend * 7 / self.child_days if self.child_days else None


# each known intervention's card, the children enrolled on a card's interventions during the
# period, the indicators its interventions target, and so each child's series a card watches
CARDS = """
WITH cards AS (
    SELECT intervention_id,
        CASE WHEN $group_by = 'intervention' THEN intervention_id ELSE provider_id END AS card
    FROM interventions),
card_children AS (
    SELECT DISTINCT c.card, e.child_ref
    FROM enrolled_in($first_day, $last_day) e JOIN cards c USING (intervention_id)),
card_codes AS (
    SELECT DISTINCT c.card, t.indicator_code FROM targeted t JOIN cards c USING (intervention_id)),
watched AS (SELECT * FROM card_children JOIN card_codes USING (card))
"""


def report_cards(
    facts: Facts | Source, period: Period, *, group_by: str, window_days: int
) -> dict[str, Card]:
    """The period's spend, enrolments and changes are those the cost-per-outcome report sums; no
    attribution rule: a card counts each child once."""
    if group_by not in CARD_GROUPINGS:
        raise ValueError(f"report cards group by {' or '.join(CARD_GROUPINGS)}, not {group_by!r}")
    source = source_of(facts)
    parameters = {**window(period), "group_by": group_by}
    cards: dict[str, Card] = {}
    for key, codes in source.rows(
        CARDS + "SELECT card, list(indicator_code) FROM cards LEFT JOIN card_codes USING (card)"
        " GROUP BY card",
        **parameters,
    ):
        cards[key] = Card(key, indicators={c: IndicatorResult() for c in codes if c is not None})

    # How much: spend on each card's interventions, the children enrolled on them and their days
    spend = exact_sums(
        source.rows(
            CARDS + "SELECT c.card, sum(s.numerator), s.denominator"
            " FROM spend_in($basis, $first_day, $last_day) s JOIN cards c USING (intervention_id)"
            " GROUP BY ALL",
            **parameters,
            basis=source.basis,
        )
    )
    for key, amount in spend.items():
        cards[key].spend = amount
    for key, children, days in source.rows(
        CARDS + "SELECT c.card, list(DISTINCT e.child_ref), sum(e.days)"
        " FROM enrolled_in($first_day, $last_day) e JOIN cards c USING (intervention_id)"
        " GROUP BY ALL",
        **parameters,
    ):
        cards[key].children, cards[key].child_days = set(children), int(days)

    # How well: children with an observation of a watched series in the last days of the period,
    # and how long after observing each observation in the period was recorded
    recent = max(period.start, period.end - timedelta(days=CURRENT_WITHIN_DAYS - 1))
    for key, current, count, timely, median in source.rows(
        CARDS
        + f"""SELECT card, list(DISTINCT child_ref) FILTER (WHERE observed_on >= $recent),
            count(*), count(*) FILTER (WHERE delay <= {TIMELY_WITHIN_DAYS}), median(delay)
        FROM (SELECT card, child_ref, observed_on,
                CAST(left(o.recorded_at, 10) AS DATE) - o.observed_on AS delay
            FROM watched JOIN current_observations o USING (child_ref, indicator_code)
            WHERE o.observed_on BETWEEN $first_day AND $last_day)
        GROUP BY card""",
        **parameters,
        recent=recent,
    ):
        cards[key].current = set(current or ())
        # as `statistics.median` has it: the middle delay, or halfway between the middle two
        cards[key].reporting = Reporting(count, timely, int(median) if count % 2 else median)

    # Is anyone better off: each of the period's changes counts on every card that served its
    # child and targets its indicator
    changes: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for (child, code), (_, _, _, better, _) in outcomes_in(
        source, period, window_days
    ).changes.items():
        changes[child].append((code, better))
    for card in cards.values():
        for child in card.children:
            for code, better in changes.get(child, ()):
                if code in card.indicators:
                    card.indicators[code].measured.add(child)
                    if better:
                        card.indicators[code].better_off.add(child)
    return dict(sorted(cards.items()))
