"""Expected accruals and commitments computed from commissioning snapshots."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from services.ledger.domain.accrual import (
    block_lines,
    commitment_lines,
    enrolment_lines,
    exact_cost,
    rate_segments,
)
from services.ledger.domain.calendar import months
from services.ledger.domain.model import CostLine
from tests.ledger.builders import enrolment, intervention

JAN, FEB, MAR, APR = (date(2025, m, 1) for m in (1, 2, 3, 4))


def accrued_over(terms, enrol, span) -> list[CostLine]:  # type: ignore[no-untyped-def]
    return [line for first in months(span) for line in enrolment_lines(terms, enrol, first)]


def test_worked_example_twelve_weeks_at_100_pounds_accrue_exactly_1200_pounds() -> None:
    terms = intervention(prices=((JAN, 10_000),))
    child = enrolment(start=date(2025, 1, 6), end=date(2025, 3, 30))
    lines = accrued_over(terms, child, (JAN, date(2025, 4, 30)))
    assert [(line.start, line.end, line.cost_pence) for line in lines] == [
        (date(2025, 1, 6), date(2025, 1, 31), 37_143),  # 26 days: 37,142.857...
        (date(2025, 2, 1), date(2025, 2, 28), 40_000),
        (date(2025, 3, 1), date(2025, 3, 30), 42_857),  # cumulative rounding, not 42,857.14
    ]
    assert sum(line.cost_pence for line in lines) == 120_000
    assert {line.child_ref for line in lines} == {"C001"}


def test_cumulative_rounding_keeps_any_enrolment_within_half_a_penny_of_exact() -> None:
    terms = intervention(prices=((JAN, 9_999),))
    child = enrolment(start=date(2025, 1, 3), end=date(2025, 11, 17))
    lines = accrued_over(terms, child, (JAN, date(2025, 12, 31)))
    exact = exact_cost(terms, (child.start_date, date(2025, 11, 17)))
    assert abs(sum(line.cost_pence for line in lines) - exact) <= Fraction(1, 2)
    assert len(lines) == 11


def test_per_child_day_prices_each_enrolled_day() -> None:
    terms = intervention(pricing_model="per_child_day", prices=((JAN, 1_250),))
    child = enrolment(start=date(2025, 1, 30), end=date(2025, 2, 2))
    assert [line.cost_pence for line in accrued_over(terms, child, (JAN, FEB))] == [2_500, 2_500]


def test_a_mid_month_price_amendment_applies_from_its_effective_date_in_its_own_line() -> None:
    terms = intervention(prices=((JAN, 7_000), (date(2025, 2, 15), 14_000)))
    child = enrolment(start=JAN)
    lines = enrolment_lines(terms, child, FEB)
    assert [(line.start, line.end, line.cost_pence) for line in lines] == [
        (date(2025, 2, 1), date(2025, 2, 14), 14_000),
        (date(2025, 2, 15), date(2025, 2, 28), 28_000),
    ]
    assert enrolment_lines(terms, child, JAN)[0].cost_pence == 31_000  # the past is unchanged


def test_an_enrolment_ended_mid_week_stops_accruing_the_day_after_it_ends() -> None:
    terms = intervention(prices=((JAN, 7_000),))
    child = enrolment(start=JAN, end=date(2025, 2, 12))  # a Wednesday
    assert enrolment_lines(terms, child, FEB) == [
        CostLine("C001", date(2025, 2, 1), date(2025, 2, 12), 12_000)
    ]
    assert enrolment_lines(terms, child, MAR) == []


def test_enrolments_accrue_only_while_the_intervention_runs() -> None:
    terms = intervention(start=date(2025, 1, 10), end=date(2025, 2, 5), prices=((JAN, 7_000),))
    child = enrolment(start=JAN, end=None)
    assert [(line.start, line.end) for line in accrued_over(terms, child, (JAN, MAR))] == [
        (date(2025, 1, 10), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 5)),
    ]
    assert enrolment_lines(terms, enrolment(start=date(2025, 3, 1)), MAR) == []


def test_per_session_and_block_interventions_accrue_nothing_per_enrolment() -> None:
    for model in ("per_session", "block_per_month"):
        assert enrolment_lines(intervention(pricing_model=model), enrolment(), FEB) == []


def test_a_block_amount_is_shared_over_children_by_enrolled_days() -> None:
    terms = intervention(pricing_model="block_per_month", prices=((JAN, 30_000),))
    children = [
        enrolment("en-a", child_ref="CA", start=date(2024, 12, 1)),  # whole of April: 30 days
        enrolment("en-b", child_ref="CB", start=date(2025, 4, 21)),  # 10 days
    ]
    lines = block_lines(terms, children, APR)
    assert lines == [
        CostLine("CA", APR, date(2025, 4, 30), 22_500),
        CostLine("CB", date(2025, 4, 21), date(2025, 4, 30), 7_500),
    ]


def test_a_block_month_with_no_children_stays_one_unallocated_line() -> None:
    terms = intervention(pricing_model="block_per_month", prices=((JAN, 30_000),))
    lines = block_lines(terms, [enrolment(start=date(2025, 5, 1))], APR)
    assert lines == [CostLine(None, APR, date(2025, 4, 30), 30_000)]


def test_a_block_month_is_prorated_by_the_days_the_contract_runs_and_by_price() -> None:
    terms = intervention(
        pricing_model="block_per_month",
        prices=((JAN, 31_000), (date(2025, 1, 17), 62_000)),
        start=date(2025, 1, 11),
    )
    # 6 days at 1,000 a day, then 15 at 2,000 a day
    assert block_lines(terms, [], JAN) == [
        CostLine(None, date(2025, 1, 11), date(2025, 1, 31), 36_000)
    ]
    assert block_lines(terms, [], date(2024, 12, 1)) == []
    assert block_lines(intervention(pricing_model="per_child_week"), [], JAN) == []


def test_block_shares_add_up_to_the_month_even_when_they_do_not_divide() -> None:
    terms = intervention(pricing_model="block_per_month", prices=((JAN, 10_000),))
    children = [enrolment(f"en-{i}", child_ref=f"C{i:03d}", start=JAN) for i in range(3)]
    lines = block_lines(terms, children, FEB)
    assert [line.cost_pence for line in lines] == [3_334, 3_333, 3_333]


def test_rate_segments_cut_at_price_changes_and_month_starts() -> None:
    terms = intervention(prices=((JAN, 7_000), (date(2025, 2, 10), 14_000)))
    segments = rate_segments(terms, (date(2025, 1, 30), date(2025, 2, 12)))
    assert segments == [
        ((date(2025, 1, 30), date(2025, 1, 31)), Fraction(1_000)),
        ((date(2025, 2, 1), date(2025, 2, 9)), Fraction(1_000)),
        ((date(2025, 2, 10), date(2025, 2, 12)), Fraction(2_000)),
    ]


def test_days_before_the_first_price_take_the_first_price() -> None:
    terms = intervention(prices=((date(2025, 3, 1), 7_000),))
    assert terms.price_on(JAN) == 7_000


def test_commitment_spreads_the_budget_over_financial_years_by_days() -> None:
    terms = intervention(start=date(2025, 3, 1), end=date(2025, 4, 30), budget_pence=61_000)
    assert commitment_lines(terms) == [
        CostLine(None, date(2025, 3, 1), date(2025, 3, 31), 31_000),
        CostLine(None, date(2025, 4, 1), date(2025, 4, 30), 30_000),
    ]
    assert commitment_lines(intervention(budget_pence=0)) == []
