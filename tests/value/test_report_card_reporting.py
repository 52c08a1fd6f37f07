"""A report card's reporting figures against `statistics.median`, by both ways of counting."""

from collections import defaultdict
from statistics import median

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from services.value.domain.report_card import TIMELY_WITHIN_DAYS, reporting_by_card

CARDS = st.integers(0, 6)
# a few weeks either side of the timely limit: counted day by day; years apart: by sorting
NEAR = st.integers(-5, TIMELY_WITHIN_DAYS + 30)
FAR = st.integers(-(10**6), 10**6)


@given(st.lists(st.tuples(CARDS, NEAR), min_size=1) | st.lists(st.tuples(CARDS, FAR), min_size=1))
@example([(0, TIMELY_WITHIN_DAYS), (0, 10**6), (1, -(10**6))])  # on the limit, years apart
@example([(0, TIMELY_WITHIN_DAYS), (0, 0), (1, 5)])  # on the limit, days apart
def test_counts_timely_and_median_delays_per_card(rows: list[tuple[int, int]]) -> None:
    by_card: dict[int, list[int]] = defaultdict(list)
    for card, delay in rows:
        by_card[card].append(delay)
    expected = {
        card: (len(delays), sum(d <= TIMELY_WITHIN_DAYS for d in delays), median(delays))
        for card, delays in by_card.items()
    }
    found = reporting_by_card(np.array([c for c, _ in rows]), np.array([d for _, d in rows]))
    got = {card: tuple(reporting) for card, reporting in found}
    assert got == expected
    # an even count's median is halfway between the middle two, so may be a half: 2.5, not 2
    assert all(type(got[c][2]) is type(expected[c][2]) for c in expected)
