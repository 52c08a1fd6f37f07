"""Pure helpers for what pages show: sorting report rows, the report's parameters, readings."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from shared.events.catalogue.outcomes import NEED_LEVELS

BASES = ("invoiced", "accrued", "paid")
RULES = ("cost_share", "time_share", "equal_share")
COHORTS = ("all", *NEED_LEVELS)
# a provider's spreadsheet of readings, by its file's extension
SPREADSHEETS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}  # turn the curve: all children, or those of one need level
GROUPINGS = ("intervention", "provider", "category", "outcome_area", "need_level", "cohort")
# groupings of interventions, whose rows are made of intervention rows (a drill-down lists them);
# need levels and entry cohorts group children, which no API lists by group
GROUPS_OF_INTERVENTIONS = ("provider", "category", "outcome_area")
# the cost-per-outcome columns a person may sort by, and the JSON field holding each one's
# exact value (money in pence; counts and ratios as printed decimals)
SORTABLE = {
    "label": "label",
    "spend": "spend_pence",
    "children_served": "children_served",
    "better_off": "better_off",
    "cost_per_better_off": "cost_per_better_off_pence",
    "better_off_per_1000": "better_off_per_1000",
}


def _sort_value(raw: Any) -> tuple[int, Any]:
    """Figures first in order; "suppressed" and blanks last whichever way the column runs."""
    if raw is None or raw == "suppressed":
        return (1, 0)
    if isinstance(raw, str):
        try:
            return (0, float(raw.replace(",", "")))
        except ValueError:
            return (0, raw.casefold())
    return (0, raw)


def sort_rows(
    rows: Iterable[dict[str, Any]], column: str, *, descending: bool
) -> list[dict[str, Any]]:
    field = SORTABLE.get(column, "label")
    present = [row for row in rows if _sort_value(row.get(field))[0] == 0]
    absent = [row for row in rows if _sort_value(row.get(field))[0] == 1]
    present.sort(key=lambda row: _sort_value(row.get(field))[1], reverse=descending)
    return present + absent


def drillable(group_by: str, group: str) -> bool:
    """Whether a report row links to the rows behind it (not the method's own catch-alls, such
    as "(unallocated)")."""
    return group_by in ("intervention", *GROUPS_OF_INTERVENTIONS) and not group.startswith("(")


def interventions_in(
    group_by: str,
    group: str,
    interventions: Iterable[dict[str, Any]],
    indicators: Iterable[dict[str, Any]],
) -> set[str]:
    """The interventions a row grouped by provider, category or outcome area is made of (an
    intervention targeting indicators of two outcome areas is in both areas' rows)."""
    area_of = {i["code"]: i.get("outcome_area") for i in indicators}

    def belongs(intervention: dict[str, Any]) -> bool:
        if group_by == "outcome_area":
            return any(area_of.get(code) == group for code in intervention["target_indicators"])
        return bool(intervention[f"{group_by}_id" if group_by == "provider" else group_by] == group)

    return {i["intervention_id"] for i in interventions if belongs(i)}


def gap_cohorts(first: str, second: str) -> tuple[str, str]:
    """The two need levels a narrow-the-gap chart compares: as chosen, if two different levels;
    otherwise the highest need against the lowest."""
    if first in NEED_LEVELS and second in NEED_LEVELS and first != second:
        return first, second
    return NEED_LEVELS[-1], NEED_LEVELS[0]


def financial_year_of(day: date) -> int:
    """2024 is the year 2024-04-01 to 2025-03-31."""
    return day.year if day.month >= 4 else day.year - 1


def report_params(form: dict[str, str], *, default_fy: int) -> dict[str, str]:
    """The value API's query from the report form: a financial year, or `from` and `to`."""
    params: dict[str, str] = {}
    # links carry `from` and `to` without the form's `period` choice
    period = form.get("period") or ("dates" if form.get("from") or form.get("to") else "year")
    if period == "dates":
        params["from"] = form.get("from", "").strip()
        params["to"] = form.get("to", "").strip()
    else:
        params["fy"] = form.get("fy", "").strip() or str(default_fy)
    for name, choices, default in (
        ("basis", BASES, "invoiced"),
        ("rule", RULES, "cost_share"),
        ("group_by", GROUPINGS, "intervention"),
    ):
        value = form.get(name, default)
        params[name] = value if value in choices else default
    return params


def parse_reading(text: str) -> float | int:
    """A reading as the outcomes API wants it (a JSON number); ValueError names what is wrong."""
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("Enter the reading")
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError("The reading must be a number, like 92 or 4.5") from None
    if not math.isfinite(number):
        raise ValueError("The reading must be a number, like 92 or 4.5")
    return int(number) if number.is_integer() else number


def overlaps(start: str, end: str | None, period_from: str, period_to: str) -> bool:
    """ISO dates: a record from `start` to `end` (open when None) meets the period."""
    return start <= period_to and (end is None or end >= period_from)


def years_covered(interventions: Iterable[dict[str, Any]], *, today: date) -> tuple[list[int], int]:
    """The financial years the council's interventions span (newest first), and the one a page
    opens on: the year of the latest day anything ran, never a year still to come."""
    spans = [(row["start_date"], row["end_date"]) for row in interventions]
    if not spans:
        current = financial_year_of(today)
        return [current], current
    first = financial_year_of(date.fromisoformat(min(start for start, _ in spans)))
    last_day = min(date.fromisoformat(max(end for _, end in spans)), today)
    last = max(financial_year_of(last_day), first)
    return list(range(last, first - 1, -1)), last


def period_of(report: dict[str, Any]) -> tuple[str, str]:
    return report["period"]["from"], report["period"]["to"]


def iso_date(day: str, month: str, year: str) -> str:
    """A GOV.UK date input's three boxes as an ISO date; ValueError says what to fix."""
    parts = [part.strip() for part in (day, month, year)]
    if not any(parts):
        raise ValueError("Enter the date")
    if not all(part.isdigit() for part in parts):
        raise ValueError("The date must be a real date, in numbers, like 27 3 2025")
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
    except ValueError:
        raise ValueError("The date must be a real date, like 27 3 2025") from None


def latest_readings(observations: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each indicator's latest current reading (by observed date, then recording time)."""
    latest: dict[str, dict[str, Any]] = {}
    for reading in observations:
        if reading.get("status", "current") != "current":
            continue
        held = latest.get(reading["indicator_code"])
        order = (reading["observed_on"], reading["recorded_at"])
        if held is None or order > (held["observed_on"], held["recorded_at"]):
            latest[reading["indicator_code"]] = reading
    return [latest[code] for code in sorted(latest)]
