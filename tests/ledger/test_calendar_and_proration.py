"""Calendar arithmetic and penny-exact sharing."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from services.ledger.domain.calendar import (
    days_in,
    financial_year,
    month_end,
    months,
    overlap,
    quarter,
    split_by_financial_year,
    split_by_month,
)
from services.ledger.domain.proration import apportion, apportion_exact, prorate


def test_periods_include_both_end_dates() -> None:
    assert days_in((date(2025, 1, 6), date(2025, 3, 30))) == 84
    assert days_in((date(2025, 1, 1), date(2025, 1, 1))) == 1


def test_overlap_and_disjoint_spans() -> None:
    jan = (date(2025, 1, 1), date(2025, 1, 31))
    assert overlap(jan, (date(2025, 1, 20), date(2025, 2, 5))) == (date(2025, 1, 20), jan[1])
    assert overlap(jan, (date(2025, 2, 1), date(2025, 2, 5))) is None


@pytest.mark.parametrize(
    ("day", "last"),
    [
        (date(2024, 2, 3), date(2024, 2, 29)),
        (date(2025, 2, 3), date(2025, 2, 28)),
        (date(2025, 12, 9), date(2025, 12, 31)),
    ],
)
def test_month_end_knows_leap_years_and_december(day: date, last: date) -> None:
    assert month_end(day) == last


def test_financial_years_run_april_to_march_and_quarters_start_in_april() -> None:
    assert financial_year(date(2025, 3, 31)) == "2024-25"
    assert financial_year(date(2025, 4, 1)) == "2025-26"
    assert financial_year(date(2099, 4, 1)) == "2099-00"
    assert quarter(date(2025, 4, 1)) == "2025-26 Q1"
    assert quarter(date(2025, 12, 31)) == "2025-26 Q3"
    assert quarter(date(2026, 3, 1)) == "2025-26 Q4"


def test_spans_split_by_month_and_financial_year() -> None:
    span = (date(2025, 3, 20), date(2025, 5, 2))
    assert months(span) == [date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)]
    assert split_by_month(span) == [
        (date(2025, 3, 20), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 4, 30)),
        (date(2025, 5, 1), date(2025, 5, 2)),
    ]
    assert split_by_financial_year(span) == [
        (date(2025, 3, 20), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 5, 2)),
    ]


def test_apportion_adds_up_exactly_and_gives_left_over_pence_to_largest_remainders() -> None:
    assert apportion(100, [1, 1, 1]) == [34, 33, 33]
    assert apportion(-100, [1, 1, 1]) == [-33, -33, -34]
    assert apportion(10, [2, 1]) == [7, 3]
    assert sum(apportion(999_999, [3, 7, 11, 13])) == 999_999
    with pytest.raises(ValueError, match="more than zero"):
        apportion(5, [0])


def test_apportion_exact_rounds_a_fractional_total_half_to_even() -> None:
    assert apportion_exact({"a": Fraction(1, 4), "b": Fraction(1, 4)}) == {"a": 0, "b": 0}
    assert apportion_exact({"a": Fraction(3, 4), "b": Fraction(3, 4)}) == {"a": 1, "b": 1}
    assert apportion_exact({"a": Fraction(5, 4), "b": Fraction(5, 4)}) == {"a": 1, "b": 1}
    assert apportion_exact({"a": Fraction(1, 3), "b": Fraction(5, 3)}) == {"a": 0, "b": 2}


def test_prorate_spreads_evenly_by_days() -> None:
    span = (date(2025, 1, 1), date(2025, 1, 10))
    assert prorate(1000, span, (date(2025, 1, 1), date(2025, 1, 3))) == 300
    assert prorate(1000, span, (date(2025, 2, 1), date(2025, 2, 3))) == 0
    assert prorate(100, (date(2025, 1, 1), date(2025, 1, 3)), span) == 100
