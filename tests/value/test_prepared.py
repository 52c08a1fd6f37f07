"""The arrangement reports share (`Prepared`) answers as the method's definitions do.

Running totals stand in for summing every allocated segment, bisection for scanning every
observation, one arrangement serves many reports, and an arrangement carried over a change (its
parts and its remembered results) answers as a new one: each is checked against the plain
definition on arbitrary small councils, and the carried results also on chosen changes that must
change an answer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import astuple, replace
from datetime import date, timedelta
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.value.domain.attribution import RULES
from services.value.domain.change import changes_of
from services.value.domain.cost_per_outcome import GROUPINGS, cost_per_outcome
from services.value.domain.model import Facts, Observation, Period
from services.value.domain.observations import ObservationTable
from services.value.domain.outcomes import child_outcomes
from services.value.domain.prepared import BUILT_FROM, Prepared
from services.value.domain.report_card import CARD_GROUPINGS, report_cards
from services.value.domain.spend import (
    EnrolledRows,
    Segments,
    SpendIndex,
    allocate,
    enrolled_periods,
)
from tests.value.builders import FY2024, enrolment, indicator, line, observation, worked_example
from tests.value.test_properties import START, councils, spans


@settings(max_examples=80, deadline=None)
@given(facts=councils(), windows=st.lists(spans(), min_size=1, max_size=4))
def test_spend_in_any_window_is_the_sum_of_the_allocated_segments(
    facts: Facts, windows: list[Period]
) -> None:
    segments = allocate(facts.lines, EnrolledRows.of(enrolled_periods(facts.enrolments)))
    index = SpendIndex(segments)
    for window in windows:
        expected: dict[tuple[str | None, str | None], Fraction] = defaultdict(Fraction)
        pairs = zip(
            [segments.interventions[k] for k in segments.intervention.tolist()],
            [segments.children[c] for c in segments.child.tolist()],
            strict=True,
        )
        for pair, amount in zip(pairs, segments.amounts_in(window), strict=True):
            expected[pair] += amount
        assert set(index.pairs) == set(expected)
        for k, c in expected:
            assert index.spend(k, c, window) == expected[(k, c)]
        # and every pair at once: those with any spend in the window
        spent = index.spent_in(window)
        found = {
            index.pairs[n]: Fraction(x, index.denominators[d])
            for n, x, d in zip(*(column.tolist() for column in spent), strict=True)
        }
        assert found == {pair: amount for pair, amount in expected.items() if amount}
    assert index.spend("nobody's", "C1", windows[0]) == 0


def test_spend_beyond_64_bits_stays_exact_beside_spend_within() -> None:
    # daily rates over large coprime denominators: scaled to one denominator, beyond 64 bits
    primes = (1_000_003, 1_000_033, 1_000_037, 1_000_039)
    rates = [Fraction(10**6, p) for p in primes]
    ten_days = Period(START, START + timedelta(days=9))
    large = [("K", "C1", ten_days, 10**6, p) for p in primes]
    small = [("K", "C2", ten_days, 700, 1), ("L", "C1", ten_days, 5, 1)]
    index = SpendIndex(Segments.of([*large, *small]))
    window = Period(START + timedelta(days=2), START + timedelta(days=4))
    assert index.spend("K", "C1", window) == 3 * sum(rates)
    assert index.spend("K", "C2", window) == 2_100 and index.spend("L", "C1", window) == 15
    assert index.total_in(window, np.arange(3)) == 3 * sum(rates) + 2_115
    later = Period(START + timedelta(days=10), START + timedelta(days=20))  # fits 64 bits: none
    assert index.spend("K", "C1", later) == 0 and index.total_in(later, np.arange(3)) == 0
    # replacing one intervention keeps the other's pairs, whichever way they are held
    replaced = index.with_interventions_replaced({"L"}, Segments.of([("L", "C3", ten_days, 1, 1)]))
    assert replaced.pairs == [("K", "C1"), ("K", "C2"), ("L", "C3")]
    assert replaced.spend("K", "C1", window) == 3 * sum(rates)
    assert replaced.spend("L", "C1", window) == 0 and replaced.spend("L", "C3", window) == 3
    replaced = index.with_interventions_replaced({"K"}, Segments.of([]))
    assert replaced.pairs == [("L", "C1")] and replaced.spend("K", "C1", window) == 0


def scanned_change(
    observations: list[Observation], *, first_start: date, period_end: date, window_days: int
) -> tuple[Observation, Observation] | None:
    """The method's words, read literally: scan for the baseline and the latest."""
    ordered = sorted(observations)
    earliest = first_start - timedelta(days=window_days)
    before = [o for o in ordered if earliest <= o.observed_on <= first_start]
    after = [o for o in ordered if o.observed_on > first_start]
    baseline = before[-1] if before else (after[0] if after else None)
    upto_end = [o for o in ordered if o.observed_on <= period_end]
    if baseline is None or not upto_end or upto_end[-1].observed_on <= baseline.observed_on:
        return None
    return baseline, upto_end[-1]


@settings(max_examples=200, deadline=None)
@given(
    days=st.lists(st.lists(st.integers(0, 60), max_size=10), min_size=1, max_size=3),
    firsts=st.lists(st.integers(0, 60), min_size=3, max_size=3),
    end=st.integers(0, 60),
    window_days=st.integers(0, 30),
)
def test_one_bisection_finds_every_series_baseline_and_latest_a_scan_finds(
    days: list[list[int]], firsts: list[int], end: int, window_days: int
) -> None:
    # days repeat, so observations on the same day are told apart by when they were recorded;
    # each value is a power of two, so a change's delta tells which two observations made it
    by_child = {
        f"C{c}": [
            Observation(
                START + timedelta(days=day),
                f"r{n % 3}",
                f"o{c}-{n}",
                f"C{c}",
                "attendance",
                Fraction(2**n),
            )
            for n, day in enumerate(child_days)
        ]
        for c, child_days in enumerate(days)
    }
    table = ObservationTable.of(o for observations in by_child.values() for o in observations)
    series = [table.series_of(child, "attendance") for child in by_child]
    searched = [
        (s, START + timedelta(days=first))
        for s, first in zip(series, firsts[: len(series)], strict=True)
        if s is not None
    ]
    period_end = START + timedelta(days=end)
    changes = changes_of(
        table,
        {"attendance": indicator(threshold=1)},
        [s for s, _ in searched],
        [first.toordinal() for _, first in searched],
        period_end=period_end,
        window_days=window_days,
    )
    found = {int(s): changes.change(n) for n, s in enumerate(changes.series)}
    for s, first_start in searched:
        child, _ = table.series_names(s)
        scanned = scanned_change(
            by_child[child], first_start=first_start, period_end=period_end, window_days=window_days
        )
        change = found.get(s)
        assert (change and (change.window, change.delta)) == (
            scanned
            and (
                Period(scanned[0].observed_on, scanned[1].observed_on),
                scanned[1].value - scanned[0].value,
            )
        )


@settings(max_examples=60, deadline=None)
@given(facts=councils(), periods=st.lists(spans(), min_size=1, max_size=2), data=st.data())
def test_one_arrangement_serves_many_reports_as_fresh_facts_would(
    facts: Facts, periods: list[Period], data: st.DataObject
) -> None:
    # few periods, so the same period comes back by another rule or grouping
    asked = data.draw(
        st.lists(
            st.tuples(st.sampled_from(RULES), st.sampled_from(GROUPINGS), st.sampled_from(periods)),
            min_size=2,
            max_size=8,
        )
    )
    shared = Prepared(facts)
    for rule, group_by, period in asked:
        reused = cost_per_outcome(shared, period, rule=rule, group_by=group_by, window_days=90)
        fresh = cost_per_outcome(facts, period, rule=rule, group_by=group_by, window_days=90)
        assert reused.rows == fresh.rows
        assert reused.total == fresh.total
        assert reused.outcomes == fresh.outcomes
        if group_by in CARD_GROUPINGS:
            cards = report_cards(shared, period, group_by=group_by, window_days=90)
            assert cards == report_cards(facts, period, group_by=group_by, window_days=90)


def test_the_same_period_by_another_rule_is_shared_by_that_rule() -> None:
    shared = Prepared(worked_example())
    for rule, a_share in (("cost_share", Fraction(1, 4)), ("equal_share", Fraction(1, 2))):
        report = cost_per_outcome(
            shared, FY2024, rule=rule, group_by="intervention", window_days=180
        )
        assert report.rows["A"].better_off == a_share


@settings(max_examples=60, deadline=None)
@given(
    earlier=councils(),
    later=councils(),
    # a posting changes only the lines: the commonest change, and spend's own incremental path
    changed=st.sampled_from(
        [{"lines"}, {"lines"}, {"lines", "observations"}, {"observations"}, {"enrolments"}]
    )
    | st.sets(st.sampled_from(["enrolments", "lines", "observations"])),
    # new observations after the earlier ones, none gone: the series' own incremental path
    observations_added=st.booleans(),
    period=spans(),
)
def test_an_arrangement_carried_over_a_change_answers_as_a_new_one(
    earlier: Facts, later: Facts, changed: set[str], observations_added: bool, period: Period
) -> None:
    # the read model keeps the very objects a change did not touch; here, those not in `changed`
    facts = Facts(
        interventions=earlier.interventions,
        indicators=earlier.indicators,
        **{
            part: getattr(later if part in changed else earlier, part)
            for part in ("enrolments", "lines", "observations")
        },
    )
    if observations_added and "observations" not in changed:
        added = [replace(o, observation_id=f"later-{o.observation_id}") for o in later.observations]
        facts = replace(facts, observations=[*earlier.observations, *added])
        changed = changed | {"observations"}
    before = Prepared(earlier)
    for part in BUILT_FROM:
        getattr(before, part)  # everything built, as after a report
    for rule in RULES:  # and the period's results remembered, to be carried where they hold
        cost_per_outcome(before, period, rule=rule, group_by="intervention", window_days=90)
    carried = Prepared(facts, previous=before)
    for part, inputs in BUILT_FROM.items():
        kept = getattr(carried, part) is getattr(before, part)
        assert kept == changed.isdisjoint(inputs)
    # spend is rebuilt for the interventions whose lines changed, and kept for the rest
    fresh_spend = Prepared(facts).spend
    assert set(carried.spend.pairs) == set(fresh_spend.pairs)
    for pair in fresh_spend.pairs:
        assert carried.spend.spend(*pair, period) == fresh_spend.spend(*pair, period)
    assert described(carried.observed) == described(Prepared(facts).observed)
    for rule in RULES:
        asked = {"rule": rule, "group_by": "intervention", "window_days": 90}
        reused = cost_per_outcome(carried, period, **asked)  # type: ignore[arg-type]
        fresh = cost_per_outcome(facts, period, **asked)  # type: ignore[arg-type]
        assert reused.rows == fresh.rows and reused.total == fresh.total
        assert reused.outcomes == fresh.outcomes


def described(observations: Iterable[Observation]) -> list[tuple[object, ...]]:
    """Every field of each observation (their equality leaves the value out)."""
    return [(*astuple(o),) for o in observations]


def report(arranged: Prepared, rule: str = "cost_share") -> dict[str, Fraction]:
    """Better-off outcomes per intervention in FY2024."""
    found = cost_per_outcome(arranged, FY2024, rule=rule, group_by="intervention", window_days=180)
    return {k: row.better_off for k, row in found.rows.items()}


def test_a_posting_that_moves_spend_between_a_childs_interventions_moves_their_cost_shares() -> (
    None
):
    facts = worked_example()
    before = Prepared(facts)
    assert report(before) == {"A": Fraction(1, 4), "B": Fraction(3, 4)}
    assert report(before, "equal_share") == {"A": Fraction(1, 2), "B": Fraction(1, 2)}
    # B's cost corrected down to A's: only the lines change
    lines = [facts.lines[0], line("B", "C1", "2025-01-06", "2025-03-30", 120_000, "tx-b")]
    after = Prepared(replace(facts, lines=lines), previous=before)
    assert report(after) == {"A": Fraction(1, 2), "B": Fraction(1, 2)}
    assert report(after, "equal_share") == {"A": Fraction(1, 2), "B": Fraction(1, 2)}


def test_an_enrolment_made_after_a_report_brings_the_childs_change_into_the_next() -> None:
    facts = worked_example()
    facts = replace(
        facts,
        observations=[
            *facts.observations,
            observation("C2", "2025-01-03", 70),
            observation("C2", "2025-03-28", 90),
        ],
    )
    before = Prepared(facts)
    assert report(before) == {"A": Fraction(1, 4), "B": Fraction(3, 4)}
    enrolled = [*facts.enrolments, enrolment("A", "C2", "2025-01-06", "2025-03-30")]
    after = Prepared(replace(facts, enrolments=enrolled), previous=before)
    assert report(after) == {"A": Fraction(5, 4), "B": Fraction(3, 4)}


def test_an_intervention_the_facts_no_longer_know_no_longer_counts_its_children() -> None:
    facts = worked_example()
    asked = {"rule": "cost_share", "group_by": "intervention", "window_days": 180}
    before = Prepared(facts)
    assert cost_per_outcome(before, FY2024, **asked).total.children == {"C1"}  # type: ignore[arg-type]
    unknown = {k: v for k, v in facts.interventions.items() if k == "A"}
    after = Prepared(replace(facts, interventions=unknown), previous=before)
    rows = cost_per_outcome(after, FY2024, **asked).rows  # type: ignore[arg-type]
    assert rows["A"].child_days and not rows["B"].children  # B's spend is still there


def test_observations_added_after_a_report_bring_their_series_change_into_the_next() -> None:
    facts = worked_example()
    facts = replace(
        facts,
        enrolments=[*facts.enrolments, enrolment("A", "C2", "2025-01-06", "2025-03-30")],
        observations=[*facts.observations, observation("C2", "2025-01-03", 70)],
    )
    before = Prepared(facts)
    [c1_before] = child_outcomes(before, FY2024, rule="cost_share", window_days=180)
    added = [*facts.observations, observation("C2", "2025-03-28", 90)]
    after = Prepared(replace(facts, observations=added), previous=before)
    c1_after, c2_after = child_outcomes(after, FY2024, rule="cost_share", window_days=180)
    assert c1_after == c1_before
    assert (c2_after.child_ref, c2_after.change.better_off) == ("C2", True)
    assert report(after) == {"A": Fraction(5, 4), "B": Fraction(3, 4)}
