"""The forecast's arithmetic, pure: every rule of `domain/forecast.py` on small cases worked by
hand, and properties that hold for any case (integers, rows adding up to the total)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ledger.domain import accrual, forecast
from services.ledger.domain.forecast import Assumptions, Line, Outturn, SavedOutturn
from services.ledger.domain.model import RuleBroken
from tests.ledger.builders import enrolment, intervention

YEAR = (date(2025, 4, 1), date(2026, 3, 31))
SEP_30 = date(2025, 9, 30)


def assume(**changes: object) -> Assumptions:
    return Assumptions(**{"year": YEAR, "actuals_to": SEP_30, **changes})  # type: ignore[arg-type]


def weekly(price: int = 70_000, **changes: object) -> forecast.InterventionTerms:
    spans = {"start": date(2025, 4, 1), "end": date(2026, 3, 31), **changes}
    return intervention(prices=((date(2025, 4, 1), price),), **spans)  # type: ignore[arg-type]


def outturn(terms: forecast.InterventionTerms, *, enrolments=(), lines=(), is_suspended=False,
            **changes: object) -> Outturn:  # fmt: skip
    return forecast.outturn(
        terms,
        enrolments=enrolments,
        lines=lines,
        assumptions=assume(**changes),
        suspended=is_suspended,
        cost_centre="CC1",
    )


def test_windows_split_the_year_at_actuals_to() -> None:
    assert assume().actual_window == (date(2025, 4, 1), SEP_30)
    assert assume().committed_window == (date(2025, 10, 1), date(2026, 3, 31))
    before = assume(actuals_to=date(2025, 3, 31))
    assert before.actual_window is None and before.committed_window == YEAR
    after = assume(actuals_to=date(2026, 3, 31))
    assert after.actual_window == YEAR and after.committed_window is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": (date(2025, 4, 2), date(2026, 3, 31))}, "fy"),
        ({"basis": "committed"}, "basis"),
        ({"open_ended_to": "forever"}, "open_ended_to"),
        ({"suspended": "maybe"}, "suspended"),
        ({"demand_growth_bp": -10_001}, "demand_growth_bp"),
    ],
)
def test_assumptions_refuse_what_they_cannot_mean(changes: dict, field: str) -> None:
    with pytest.raises(RuleBroken) as refused:
        assume(**changes)
    assert refused.value.field == field


def test_an_open_ended_placement_runs_to_the_year_end_or_the_intervention_end() -> None:
    terms = weekly(end=date(2025, 12, 31))  # £100 a day
    child = enrolment(start=date(2025, 6, 1))
    # 1 Oct - 31 Mar: 182 days, past the intervention's end at its last price
    assert outturn(terms, enrolments=[child]).committed_pence == 182 * 10_000
    # 1 Oct - 31 Dec: 92 days
    ended = outturn(terms, enrolments=[child], open_ended_to="intervention_end")
    assert ended.committed_pence == 92 * 10_000


def test_an_ending_placement_commits_to_its_planned_end_and_one_ended_commits_nothing() -> None:
    terms = weekly()
    leaving = enrolment(start=date(2025, 6, 1), end=date(2025, 10, 10))
    gone = enrolment("en-2", child_ref="C002", start=date(2025, 4, 1), end=date(2025, 8, 1))
    assert outturn(terms, enrolments=[leaving, gone]).committed_pence == 10 * 10_000


def test_a_future_price_amendment_prices_its_days_and_rounding_happens_once() -> None:
    # £100 a week to 31 Dec, then £101: 92 days at 100/7, 90 days at 101/7 pence a day (x 100)
    terms = intervention(
        prices=((date(2025, 4, 1), 10_000), (date(2026, 1, 1), 10_100)),
        start=date(2025, 4, 1),
        end=date(2026, 3, 31),
    )
    exact = Fraction(92 * 10_000, 7) + Fraction(90 * 10_100, 7)  # 261,285.71...
    result = outturn(terms, enrolments=[enrolment(start=date(2025, 4, 1))])
    assert result.committed_pence == 261_286 == round(exact)


def test_block_contracts_commit_their_monthly_amounts_and_part_months_by_day() -> None:
    block = intervention(
        pricing_model="block_per_month",
        prices=((date(2025, 4, 1), 310_000),),
        start=date(2025, 4, 1),
        end=date(2025, 12, 15),
    )
    # October and November whole (310,000 each), 15 of December's 31 days: 150,000
    assert outturn(block).committed_pence == 310_000 * 2 + 150_000
    # a block contract commits whoever is enrolled
    assert outturn(block, enrolments=[enrolment()]).committed_pence == 770_000


def test_per_session_prices_commit_nothing_and_suspensions_pause_unless_told() -> None:
    sessions = weekly(pricing_model="per_session")
    assert outturn(sessions, enrolments=[enrolment(start=date(2025, 4, 1))]).committed_pence == 0
    terms, child = weekly(), enrolment(start=date(2025, 4, 1))
    assert outturn(terms, enrolments=[child], is_suspended=True).committed_pence == 0
    running = outturn(terms, enrolments=[child], is_suspended=True, suspended="running")
    assert running.committed_pence == 182 * 10_000


def test_actual_is_the_lines_days_up_to_actuals_to_on_any_basis() -> None:
    lines = [
        Line(date(2025, 9, 1), date(2025, 10, 31), 61_000),  # 30 of its 61 days are actual
        Line(date(2025, 3, 1), date(2025, 4, 30), 6_100),  # 30 of 61 days in the year
        Line(date(2025, 11, 1), date(2025, 11, 30), 999),  # after actuals_to
    ]
    assert outturn(weekly(), lines=lines).actual_pence == 30_000 + 3_000


def test_actual_rounds_once_half_to_even() -> None:
    # three lines of 1 penny over 2 days, one day each inside: 1.5 pence -> 2
    lines = [Line(date(2025, 9, 30), date(2025, 10, 1), 1)] * 3
    assert outturn(weekly(), lines=lines).actual_pence == 2


def test_demand_growth_is_basis_points_of_committed_rounded_half_to_even() -> None:
    terms, child = weekly(), enrolment(start=date(2025, 4, 1))
    grown = outturn(terms, enrolments=[child], demand_growth_bp=250)
    assert grown.committed_pence == 1_820_000 and grown.growth_pence == 45_500
    assert grown.forecast_pence == 1_865_500
    # 1 penny-a-day placement for 182 days: 182 * 25 bp = 0.455 -> 0
    tiny = outturn(weekly(7), enrolments=[child], demand_growth_bp=25)
    assert (tiny.committed_pence, tiny.growth_pence) == (182, 0)


def test_the_year_budget_is_the_years_share_by_days() -> None:
    two_years = intervention(
        start=date(2027, 4, 1), end=date(2029, 3, 31), budget_pence=731_000
    )  # 366 days (29 February 2028) and 365
    assert forecast.year_budget(two_years, (date(2027, 4, 1), date(2028, 3, 31))) == 366_000
    assert forecast.year_budget(two_years, (date(2028, 4, 1), date(2029, 3, 31))) == 365_000
    assert forecast.year_budget(two_years, YEAR) == 0


@pytest.mark.parametrize(
    ("variance", "budget", "percent"),
    [
        (570_000, 5_000_000, "11.4"),
        (0, 3_600_000, "0.0"),
        (-1_165_000, 2_000_000, "-58.2"),  # -58.25: half to even
        (-1_175_000, 2_000_000, "-58.8"),  # -58.75: half to even
        (1, 3, "33.3"),
        (5, 1_000, "0.5"),
        (-4, 1_000, "-0.4"),
        (100, 0, None),
    ],
)
def test_variance_per_cent_to_one_place(variance: int, budget: int, percent: str | None) -> None:
    assert forecast.variance_percent(variance, budget) == percent


def made(key: str, *, provider: str, category: str, budget: int, actual: int) -> Outturn:
    return Outturn(key, provider, category, "CC1", budget, actual, 0, 0)


def test_groups_add_up_and_compare_with_a_saved_forecast_as_it_was_grouped() -> None:
    items = [
        made("iv-1", provider="p1", category="fostering", budget=100, actual=150),
        made("iv-2", provider="p1", category="therapy", budget=50, actual=20),
        made("iv-3", provider="p2", category="therapy", budget=10, actual=10),
    ]
    saved = [
        SavedOutturn("iv-1", "p1", "fostering", "CC1", 120),
        SavedOutturn("iv-2", "p1", "fostering", "CC1", 30),  # recategorised since
        SavedOutturn("iv-9", "p3", "other", "CC1", 5),  # gone since
    ]
    rows = forecast.grouped(items, group_by="category", previous=saved)
    assert {
        k: (r.forecast_pence, r.previous_forecast_pence, r.movement_pence) for k, r in rows.items()
    } == {
        "fostering": (150, 150, 0),
        "other": (0, 5, -5),
        "therapy": (30, 0, 30),
    }
    total = forecast.total(rows, compared=True)
    assert (total.budget_pence, total.forecast_pence, total.movement_pence) == (160, 180, 25)
    uncompared = forecast.total(forecast.grouped(items, group_by="provider"), compared=False)
    assert uncompared.movement_pence is None and uncompared.variance_pence == 20
    with pytest.raises(RuleBroken):
        forecast.grouped(items, group_by="colour")


def test_the_run_out_month_is_when_the_cumulative_forecast_passes_the_budget() -> None:
    child, before_the_year = enrolment(start=date(2025, 4, 1)), date(2025, 3, 31)
    # £100 a day all year: the budget of 1,830,000 is reached on 30 September, passed in October
    passing = outturn(
        weekly(budget_pence=1_830_000), enrolments=[child], actuals_to=before_the_year
    )
    assert (passing.forecast_pence, passing.run_out_month(YEAR)) == (3_650_000, "2025-10")
    within = outturn(weekly(budget_pence=3_650_000), enrolments=[child], actuals_to=before_the_year)
    assert within.run_out_month(YEAR) is None


@given(
    prices=st.lists(st.integers(min_value=0, max_value=2_000_000), min_size=1, max_size=3),
    starts=st.lists(st.integers(min_value=0, max_value=364), min_size=0, max_size=4),
    actual_day=st.integers(min_value=-1, max_value=365),
    growth=st.integers(min_value=-10_000, max_value=10_000),
)
def test_any_forecast_is_whole_pence_and_its_parts_add_up(
    prices: list[int], starts: list[int], actual_day: int, growth: int
) -> None:
    first = date(2025, 4, 1)
    terms = intervention(
        prices=tuple(
            (date.fromordinal(first.toordinal() + 90 * i), p) for i, p in enumerate(prices)
        ),
        start=first,
        end=date(2026, 3, 31),
    )
    children = [
        enrolment(f"en-{i}", child_ref=f"C{i}", start=date.fromordinal(first.toordinal() + s))
        for i, s in enumerate(starts)
    ]
    result = outturn(
        terms,
        enrolments=children,
        actuals_to=date.fromordinal(first.toordinal() + actual_day),
        demand_growth_bp=growth,
    )
    for value in (result.actual_pence, result.committed_pence, result.growth_pence):
        assert isinstance(value, int)
    assert (
        result.forecast_pence == result.actual_pence + result.committed_pence + result.growth_pence
    )
    exact = sum((amount for _, amount in result.monthly_exact(YEAR)), Fraction(0))
    assert abs(exact - result.forecast_pence) <= 2  # three roundings of half a penny at most
    assert len(result.monthly_exact(YEAR)) == 12


@given(
    prices=st.lists(st.integers(min_value=0, max_value=2_000_000), min_size=1, max_size=4),
    gaps=st.lists(st.integers(min_value=1, max_value=200), min_size=3, max_size=3),
    start=st.integers(min_value=-30, max_value=400),
    length=st.integers(min_value=0, max_value=400),
    weekly_price=st.booleans(),
)
def test_price_days_by_month_agree_with_the_accruals_day_rates(
    prices: list[int], gaps: list[int], start: int, length: int, weekly_price: bool
) -> None:
    first = date(2025, 4, 1)
    changes, day = [], first
    for price, gap in zip(prices, [0, *gaps], strict=False):
        day = date.fromordinal(day.toordinal() + gap)
        changes.append((day, price))
    terms = intervention(
        pricing_model="per_child_week" if weekly_price else "per_child_day",
        prices=tuple(changes),
        start=first,
        end=date(2027, 3, 31),
    )
    span = (
        date.fromordinal(first.toordinal() + start),
        date.fromordinal(first.toordinal() + start + length),
    )
    unit = 7 if weekly_price else 1
    by_month = forecast.price_days_by_month(terms, [span])
    assert sum(Fraction(v, unit) for v in by_month.values()) == accrual.exact_cost(terms, span)
