"""Pure helpers for finance's pages: the forecast's and exceptions' parameters from a form, the
names a forecast's groups are shown by, and the months a month-close form offers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.money import MoneyError, parse_pence

FORECAST_GROUPINGS = ("category", "provider", "intervention", "cost_centre")
FORECAST_BASES = ("accrued", "invoiced", "paid")
OPEN_ENDED = ("year_end", "intervention_end")
DEFAULT_HIGH_COST_POUNDS = "10000"  # the ledger's default: £10,000 a week (LGA's survey line)
MONTH = re.compile(r"^(19[9][0-9]|20[0-9]{2})-(0[1-9]|1[0-2])$")


@dataclass
class Parameters:
    """A finance report's query, and what was wrong with the form (field -> message)."""

    query: dict[str, str]
    problems: dict[str, str] = field(default_factory=dict)


def _choice(form: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = form.get(name, choices[0])
    return value if value in choices else choices[0]


def growth_basis_points(text: str) -> int:
    """Demand growth typed as a percentage ("2.5") in basis points (250); ValueError says why."""
    cleaned = text.strip().rstrip("%").strip() or "0"
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("Demand growth must be a percentage, like 2.5") from None
    points = percent * 100
    if not percent.is_finite() or points != points.to_integral_value():
        raise ValueError("Demand growth must be a percentage with at most two decimal places")
    return int(points)


def forecast_params(form: dict[str, str], *, default_fy: int) -> Parameters:
    """The ledger's `/forecast` query from the forecast form (the API checks the rest)."""
    query = {
        "fy": form.get("fy", "").strip() or str(default_fy),
        "group_by": _choice(form, "group_by", FORECAST_GROUPINGS),
        "basis": _choice(form, "basis", FORECAST_BASES),
        "open_ended_to": _choice(form, "open_ended_to", OPEN_ENDED),
    }
    found = Parameters(query)
    try:
        query["demand_growth_bp"] = str(growth_basis_points(form.get("growth_percent", "")))
    except ValueError as error:
        found.problems["growth_percent"] = str(error)
    return found


def weekly_threshold_pence(text: str) -> int:
    """A weekly cost typed in pounds ("10,000" or "£9,500.50") as pence; ValueError says why."""
    cleaned = text.strip().lstrip("£").replace(",", "") or DEFAULT_HIGH_COST_POUNDS
    try:
        pence = parse_pence(cleaned)
    except MoneyError:
        raise ValueError("The weekly cost must be an amount in pounds, like 10000") from None
    if pence <= 0:
        raise ValueError("The weekly cost must be more than £0")
    return pence


def group_names(
    group_by: str, interventions: Iterable[dict[str, Any]], providers: Iterable[dict[str, Any]]
) -> dict[str, str]:
    """What a forecast's group keys are called on a page (others show as their key)."""
    if group_by == "intervention":
        return {i["intervention_id"]: i["title"] for i in interventions}
    if group_by == "provider":
        return {p["provider_id"]: p["name"] for p in providers}
    return {}


def exceptions_day(fy: int, today: date) -> date:
    """The day the exceptions are looked at: today, or the last day of a year already over (so
    last year's placements and prices can still be looked at)."""
    if fy + 1 > today.year:  # the year ends after today
        return today
    return min(today, date(fy + 1, 3, 31))


def is_month(text: str) -> bool:
    return bool(MONTH.fullmatch(text))


def month_before(today: date) -> str:
    """The month a finance officer closes first: last month."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"
