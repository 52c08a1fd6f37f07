"""Properties of the method on arbitrary small councils: nothing is lost or counted twice."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.value.domain.attribution import RULES
from services.value.domain.cost_per_outcome import cost_per_outcome
from services.value.domain.model import CostLine, Enrolment, Facts, Observation, Period
from tests.value.builders import indicator, intervention

START = date(2024, 4, 1)
YEAR = Period(START, date(2025, 3, 31))
INTERVENTIONS = ("A", "B", "C")
CHILDREN = ("C1", "C2", "C3", "C4")
day_offsets = st.integers(min_value=0, max_value=364)


@st.composite
def spans(draw: st.DrawFn) -> Period:
    first, length = draw(day_offsets), draw(st.integers(min_value=0, max_value=120))
    start = START + timedelta(days=first)
    return Period(start, min(YEAR.end, start + timedelta(days=length)))


@st.composite
def councils(draw: st.DrawFn) -> Facts:
    enrolments = [
        Enrolment(
            f"e{n}",
            draw(st.sampled_from(INTERVENTIONS)),
            draw(st.sampled_from(CHILDREN)),
            span.start,
            span.end,
        )
        for n, span in enumerate(draw(st.lists(spans(), max_size=8)))
    ]
    lines = [
        CostLine(
            f"t{n}",
            draw(st.sampled_from(INTERVENTIONS)),
            draw(st.none() | st.sampled_from(CHILDREN)),
            span,
            draw(st.integers(min_value=-50_000, max_value=500_000)),
        )
        for n, span in enumerate(draw(st.lists(spans(), max_size=8)))
    ]
    observations = [
        Observation(
            START + timedelta(days=offset),
            "2025-04-01T09:00:00Z",
            f"o{n}",
            child,
            "attendance",
            draw(st.fractions(min_value=0, max_value=100, max_denominator=4)),
        )
        for n, (child, offset) in enumerate(
            draw(st.lists(st.tuples(st.sampled_from(CHILDREN), day_offsets), max_size=12))
        )
    ]
    return Facts(
        interventions={k: intervention(k, provider_id=f"p-{k}") for k in INTERVENTIONS},
        enrolments=enrolments,
        indicators={"attendance": indicator(threshold=draw(st.integers(0, 20)))},
        observations=observations,
        lines=lines,
    )


# groupings that put each amount and each share in exactly one row
PARTITIONS = ("intervention", "provider", "category", "cohort", "need_level")


@settings(max_examples=60, deadline=None)
@given(facts=councils(), rule=st.sampled_from(RULES), group_by=st.sampled_from(PARTITIONS))
def test_attributed_counts_and_spend_add_up(facts: Facts, rule: str, group_by: str) -> None:
    report = cost_per_outcome(facts, YEAR, rule=rule, group_by=group_by, window_days=180)
    attributed = [o for o in report.outcomes if o.shares]
    better_children = sum(1 for o in attributed if o.change.better_off)
    worse_children = sum(1 for o in attributed if o.change.worse_off)
    assert sum(row.better_off for row in report.rows.values()) == better_children
    assert sum(row.worse_off for row in report.rows.values()) == worse_children
    assert report.total.better_off == better_children
    assert sum(row.spend for row in report.rows.values()) == report.total.spend
    # every line lies inside the year, so the whole of it is spent: nothing dropped
    assert report.total.spend == sum(line.cost_pence for line in facts.lines)
    for outcome in report.outcomes:
        assert not outcome.shares or sum(outcome.shares.values()) == 1
