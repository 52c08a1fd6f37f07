"""The web service's pure helpers: sorting, the report's parameters, dates and readings."""

from __future__ import annotations

from datetime import date

import pytest

from services.web.domain import finance, tables
from services.web.domain.access import navigation


def test_sorting_puts_figures_in_order_and_suppressed_or_blank_last_both_ways() -> None:
    rows = [
        {"label": "b", "better_off": "suppressed"},
        {"label": "a", "better_off": "2.500"},
        {"label": "c", "better_off": None},
        {"label": "d", "better_off": "10.000"},
    ]
    ascending = tables.sort_rows(rows, "better_off", descending=False)
    descending = tables.sort_rows(rows, "better_off", descending=True)
    assert [r["label"] for r in ascending] == ["a", "d", "b", "c"]
    assert [r["label"] for r in descending] == ["d", "a", "b", "c"]


def test_sorting_money_uses_exact_pence_and_an_unknown_column_sorts_by_label() -> None:
    rows = [{"label": "B", "spend_pence": 100}, {"label": "a", "spend_pence": 99}]
    assert [r["label"] for r in tables.sort_rows(rows, "spend", descending=True)] == ["B", "a"]
    assert [r["label"] for r in tables.sort_rows(rows, "nonsense", descending=False)] == ["a", "B"]


def test_report_params_are_a_year_or_two_dates_and_only_known_choices() -> None:
    assert tables.report_params({}, default_fy=2024) == {
        "fy": "2024", "basis": "invoiced", "rule": "cost_share", "group_by": "intervention",
    }  # fmt: skip
    chosen = tables.report_params(
        {"period": "dates", "from": "2024-05-01", "to": "2024-06-30", "basis": "paid",
         "group_by": "drop table"},
        default_fy=2024,
    )  # fmt: skip
    assert chosen == {
        "from": "2024-05-01", "to": "2024-06-30", "basis": "paid", "rule": "cost_share",
        "group_by": "intervention",
    }  # fmt: skip
    # a sort link carries the dates without the form's period choice
    assert "from" in tables.report_params({"from": "2024-05-01", "to": "2024-06-30"}, default_fy=1)


def test_the_years_a_council_spans_stop_at_today() -> None:
    interventions = [
        {"start_date": "2022-09-01", "end_date": "2024-03-31"},
        {"start_date": "2023-04-01", "end_date": "2030-03-31"},
    ]
    years, opens_on = tables.years_covered(interventions, today=date(2025, 1, 15))
    assert years == [2024, 2023, 2022] and opens_on == 2024
    assert tables.years_covered([], today=date(2025, 5, 1)) == ([2025], 2025)


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [("1", "4", "2025", "2025-04-01"), (" 29", "2 ", "2024", "2024-02-29")],
)
def test_a_date_input_becomes_an_iso_date(day: str, month: str, year: str, expected: str) -> None:
    assert tables.iso_date(day, month, year) == expected


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("", "", ""), "Enter the date"),
        (("1", "April", "2025"), "in numbers"),
        (("31", "2", "2025"), "real date"),
    ],
)
def test_a_date_input_that_is_not_a_date_says_what_to_fix(
    parts: tuple[str, str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        tables.iso_date(*parts)


def test_a_reading_is_a_json_number() -> None:
    assert tables.parse_reading(" 92 ") == 92 and isinstance(tables.parse_reading("92"), int)
    assert tables.parse_reading("4.5") == 4.5
    for bad in ("", "ninety", "nan", "inf"):
        with pytest.raises(ValueError):
            tables.parse_reading(bad)


def test_latest_readings_take_the_latest_current_reading_of_each_indicator() -> None:
    def reading(code: str, on: str, value: int, status: str = "current") -> dict[str, object]:
        return {"indicator_code": code, "observed_on": on, "recorded_at": "t", "value": value,
                "status": status}  # fmt: skip

    latest = tables.latest_readings(
        [
            reading("b", "2024-01-01", 1),
            reading("a", "2024-03-01", 2),
            reading("a", "2024-05-01", 3, status="superseded"),
            reading("a", "2024-02-01", 4),
        ]
    )
    assert [(r["indicator_code"], r["value"]) for r in latest] == [("a", 2), ("b", 1)]


def test_navigation_offers_each_role_only_its_pages() -> None:
    provider = {item.text for item in navigation(frozenset({"provider"}))}
    finance = {item.text for item in navigation(frozenset({"finance"}))}
    assert "Cost per outcome" not in provider and "Invoices" in provider
    assert "Cost per outcome" in finance and "Post a reading" not in finance
    assert {"Forecast", "Exceptions", "Month close"} <= finance
    commissioner = {item.text for item in navigation(frozenset({"commissioner"}))}
    assert "Forecast" in commissioner and "Month close" not in commissioner
    assert "Upload a spreadsheet" in provider and "Forecast" not in provider


@pytest.mark.parametrize(
    ("typed", "points"), [("", 0), ("2.5", 250), ("2.5%", 250), ("-1", -100), ("0.25", 25)]
)
def test_demand_growth_is_typed_in_per_cent_and_sent_in_basis_points(
    typed: str, points: int
) -> None:
    assert finance.growth_basis_points(typed) == points


@pytest.mark.parametrize("typed", ["lots", "2.555", "nan", "inf"])
def test_a_growth_that_is_not_a_percentage_says_so(typed: str) -> None:
    with pytest.raises(ValueError, match="Demand growth must be a percentage"):
        finance.growth_basis_points(typed)


@pytest.mark.parametrize(
    ("typed", "pence"), [("", 1_000_000), ("9,500", 950_000), ("£9500.50", 950_050)]
)
def test_a_weekly_threshold_is_typed_in_pounds(typed: str, pence: int) -> None:
    assert finance.weekly_threshold_pence(typed) == pence


@pytest.mark.parametrize("typed", ["ten", "0", "1.234", "-5"])
def test_a_weekly_threshold_that_is_not_a_positive_amount_says_so(typed: str) -> None:
    with pytest.raises(ValueError, match="weekly cost must be"):
        finance.weekly_threshold_pence(typed)


def test_exceptions_are_looked_at_today_or_on_the_last_day_of_a_year_over() -> None:
    assert finance.exceptions_day(2024, date(2026, 12, 3)) == date(2025, 3, 31)
    assert finance.exceptions_day(2026, date(2026, 12, 3)) == date(2026, 12, 3)
    assert finance.exceptions_day(2025, date(2026, 2, 1)) == date(2026, 2, 1)
    assert finance.exceptions_day(9999, date(2026, 12, 3)) == date(2026, 12, 3)


def test_the_month_to_close_first_is_last_month() -> None:
    assert finance.month_before(date(2026, 1, 15)) == "2025-12"
    assert finance.month_before(date(2025, 10, 1)) == "2025-09"
    assert finance.is_month("2025-09") and not finance.is_month("2025-9")


def test_the_forecast_parameters_keep_only_known_choices() -> None:
    chosen = finance.forecast_params({"group_by": "child", "basis": "paid"}, default_fy=2024)
    assert chosen.query == {
        "fy": "2024", "group_by": "category", "basis": "paid",
        "open_ended_to": "year_end", "demand_growth_bp": "0",
    }  # fmt: skip
    assert not chosen.problems


INTERVENTIONS = [
    {"intervention_id": "a", "provider_id": "p1", "category": "early_help",
     "target_indicators": ["school_attendance"]},
    {"intervention_id": "b", "provider_id": "p2", "category": "early_help",
     "target_indicators": ["school_attendance", "sdq_total_difficulties"]},
    {"intervention_id": "c", "provider_id": "p1", "category": "therapeutic",
     "target_indicators": ["sdq_total_difficulties"]},
]  # fmt: skip
AREAS = [
    {"code": "school_attendance", "outcome_area": "education"},
    {"code": "sdq_total_difficulties", "outcome_area": "wellbeing"},
]


@pytest.mark.parametrize(
    ("group_by", "group", "members"),
    [
        ("provider", "p1", {"a", "c"}),
        ("category", "early_help", {"a", "b"}),
        ("outcome_area", "wellbeing", {"b", "c"}),
        ("provider", "p9", set()),
    ],
)
def test_a_group_of_interventions_is_made_of_its_members(
    group_by: str, group: str, members: set[str]
) -> None:
    assert tables.interventions_in(group_by, group, INTERVENTIONS, AREAS) == members


def test_only_rows_of_real_groups_of_interventions_lead_further() -> None:
    assert tables.drillable("provider", "p1") and tables.drillable("intervention", "a")
    assert not tables.drillable("provider", "(no intervention)")
    assert not tables.drillable("need_level", "high") and not tables.drillable("cohort", "x")


def test_the_gap_compares_two_different_need_levels() -> None:
    assert tables.gap_cohorts("high", "low") == ("high", "low")
    assert tables.gap_cohorts("high", "high") == ("complex", "low")
    assert tables.gap_cohorts("", "nonsense") == ("complex", "low")
