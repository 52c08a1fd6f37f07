"""Forecast outturn for a financial year: budget, actual to date, committed to the year end.

For each intervention, over the financial year (April to March):

- **budget**: the intervention's budget spread over its financial years by days (the same shares
  its commitment posts), this year's share;
- **actual**: cost lines on the chosen basis, prorated by day, for the days from the year's start
  to `actuals_to`;
- **committed**: from the day after `actuals_to` to the year end, every enrolment priced day by
  day at the price in force on that day, price amendments already recorded for later dates
  included (weekly prices / 7 a day, daily prices as they are), to its planned end; an enrolment
  with no end runs to the year end (`open_ended_to="year_end"`, the default) or to the
  intervention's end (`"intervention_end"`). Block contracts commit their monthly amounts to the
  intervention's end (a part month by its days). Per-session interventions commit nothing: how
  many sessions there will be is only known from invoices. An intervention suspended as at the
  forecast commits nothing (`suspended="paused"`, the default) or runs as if it were not
  (`"running"`);
- **growth**: new demand, `demand_growth_bp` basis points of the committed cost (default 0);
- **forecast** = actual + committed + growth; **variance** = forecast - budget, in pence and in
  per cent of the budget (to one place, half to even; none when the budget is zero).

Rounding: each intervention's actual and committed cost are exact (`Fraction` pence) until they
are summed over the year, then rounded once, half to even; growth likewise. Every group and total
is a sum of these whole pence, so the rows add up to the total exactly.

The **run-out month** is the first month in which the cumulative exact forecast (actual, and
committed with its growth) passes the year's budget, for an intervention whose forecast does.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import lru_cache

from services.ledger.domain.accrual import commitment_lines, rate_segments
from services.ledger.domain.calendar import (
    ONE_DAY,
    Span,
    days_in,
    financial_year,
    financial_year_span,
    month_key,
    months,
    overlap,
    split_by_month,
)
from services.ledger.domain.model import BASES, RuleBroken
from services.ledger.domain.proration import prorate
from services.ledger.domain.terms import EnrolmentTerms, InterventionTerms
from shared.money import round_half_even, round_pence

OPEN_ENDED = ("year_end", "intervention_end")
SUSPENDED = ("paused", "running")
# grouping -> the attribute of an outturn (or a saved one) that names its group
GROUPINGS = {
    "intervention": "intervention_id",
    "provider": "provider_id",
    "category": "category",
    "cost_centre": "cost_centre",
}
PER_CHILD = ("per_child_week", "per_child_day")
BASIS_POINTS = 10_000


@dataclass(frozen=True)
class Assumptions:
    """The forecast's parameters; every one is shown in the answer."""

    year: Span
    actuals_to: date
    basis: str = "accrued"
    open_ended_to: str = "year_end"
    demand_growth_bp: int = 0
    suspended: str = "paused"

    def __post_init__(self) -> None:
        if self.year != financial_year_span(self.year[0]):
            raise RuleBroken("fy", "is not a financial year (1 April to 31 March)")
        if self.basis not in BASES or self.basis == "committed":
            raise RuleBroken("basis", "must be accrued, invoiced or paid")
        if self.open_ended_to not in OPEN_ENDED:
            raise RuleBroken("open_ended_to", f"must be one of {', '.join(OPEN_ENDED)}")
        if self.suspended not in SUSPENDED:
            raise RuleBroken("suspended", f"must be one of {', '.join(SUSPENDED)}")
        if self.demand_growth_bp < -BASIS_POINTS:
            raise RuleBroken("demand_growth_bp", "cannot shrink demand by more than 100%")

    @property
    def label(self) -> str:
        return financial_year(self.year[0])

    @property
    def actual_window(self) -> Span | None:
        """The days of the year whose cost is actual: from its start to `actuals_to`."""
        return overlap(self.year, (self.year[0], self.actuals_to))

    @property
    def committed_window(self) -> Span | None:
        """The days of the year still to come: after `actuals_to` to the year end."""
        return overlap(self.year, (self.actuals_to + ONE_DAY, self.year[1]))


@dataclass(frozen=True)
class Line:
    """A cost line of one intervention on the forecast's basis."""

    start: date
    end: date
    cost_pence: int


@dataclass(frozen=True)
class Outturn:
    """One intervention's forecast outturn for the year."""

    intervention_id: str
    provider_id: str
    category: str
    cost_centre: str
    budget_pence: int
    actual_pence: int
    committed_pence: int
    growth_pence: int
    # exact actual and committed cost per month of the year, and the growth factor on committed
    actual_by_month: Mapping[str, Fraction] = field(repr=False, default_factory=dict)
    committed_by_month: Mapping[str, Fraction] = field(repr=False, default_factory=dict)
    growth_factor: Fraction = field(repr=False, default=Fraction(1))

    @property
    def forecast_pence(self) -> int:
        return self.actual_pence + self.committed_pence + self.growth_pence

    def monthly_exact(self, year: Span) -> list[tuple[str, Fraction]]:
        """The exact forecast of each month of `year`, in order."""
        zero = Fraction(0)
        return [
            (
                key,
                self.actual_by_month.get(key, zero)
                + self.committed_by_month.get(key, zero) * self.growth_factor,
            )
            for key in (month_key(first) for first in months(year))
        ]

    def run_out_month(self, year: Span) -> str | None:
        """The month the cumulative forecast passes the budget (None if it never does)."""
        if self.forecast_pence <= self.budget_pence:
            return None
        monthly = self.monthly_exact(year)
        cumulative = Fraction(0)
        for month, amount in monthly:
            cumulative += amount
            if cumulative > self.budget_pence:
                return month
        return monthly[-1][0]


@lru_cache(maxsize=65_536)
def year_budget(terms: InterventionTerms, year: Span) -> int:
    """The year's share of the intervention's budget, as its commitment posts it (remembered:
    terms are immutable, and the largest-remainder sharing is most of a forecast's time)."""
    return sum(
        line.cost_pence for line in commitment_lines(terms) if overlap((line.start, line.end), year)
    )


def enrolment_span(
    terms: InterventionTerms, enrolment: EnrolmentTerms, window: Span, open_ended_to: str
) -> Span | None:
    """The days of `window` the enrolment is expected to cost."""
    if enrolment.end_date is not None:
        end = min(enrolment.end_date, terms.end_date)
    elif open_ended_to == "year_end":
        end = window[1]
    else:
        end = terms.end_date
    return overlap((max(enrolment.start_date, terms.start_date), end), window)


def _cost_by_month(terms: InterventionTerms, span: Span | None, into: dict[str, Fraction]) -> None:
    if span is None:
        return
    for part, rate in rate_segments(terms, span):
        into[month_key(part[0])] += rate * days_in(part)


def committed_by_month(
    terms: InterventionTerms, enrolments: Iterable[EnrolmentTerms], assumptions: Assumptions
) -> dict[str, Fraction]:
    """Exact committed cost per month of the year (before demand growth)."""
    by_month: dict[str, Fraction] = defaultdict(Fraction)
    window = assumptions.committed_window
    if window is None:
        return by_month
    if terms.pricing_model == "block_per_month":
        _cost_by_month(terms, overlap(terms.span, window), by_month)
    elif terms.pricing_model in PER_CHILD:
        spans = [
            span
            for enrolment in enrolments
            if (span := enrolment_span(terms, enrolment, window, assumptions.open_ended_to))
        ]
        days_a_unit = 7 if terms.pricing_model == "per_child_week" else 1
        for month, price_days in price_days_by_month(terms, spans).items():
            by_month[month] = Fraction(price_days, days_a_unit)
    return by_month


def price_days_by_month(terms: InterventionTerms, spans: Iterable[Span]) -> dict[str, int]:
    """The sum of (unit price in force x days) per month over `spans`: whole numbers, so a
    year of many placements is added up without a fraction per day or segment (the exact cost
    is this over the days a unit buys). Days before the first price take it, as in `price_on`."""
    ordered = sorted(terms.prices, key=lambda price: price.effective_from)
    changes = [price.effective_from for price in ordered]
    totals: dict[str, int] = defaultdict(int)
    for span in spans:
        for part in split_by_month(span):
            key, day = month_key(part[0]), part[0]
            while day <= part[1]:
                current = bisect_right(changes, day) - 1
                following = changes[current + 1] if current + 1 < len(changes) else None
                last = part[1] if following is None or following > part[1] else following - ONE_DAY
                totals[key] += ordered[max(current, 0)].unit_price_pence * days_in((day, last))
                day = last + ONE_DAY
    return totals


def actual_by_month(lines: Iterable[Line], assumptions: Assumptions) -> dict[str, Fraction]:
    """Exact actual cost per month: the lines' days in the actual window."""
    by_month: dict[str, Fraction] = defaultdict(Fraction)
    window = assumptions.actual_window
    if window is None:
        return by_month
    for line in lines:
        span = (line.start, line.end)
        inside = overlap(span, window)
        if inside is None:
            continue
        for part in split_by_month(inside):
            by_month[month_key(part[0])] += prorate(line.cost_pence, span, part)
    return by_month


def outturn(
    terms: InterventionTerms,
    *,
    enrolments: Iterable[EnrolmentTerms],
    lines: Iterable[Line],
    assumptions: Assumptions,
    suspended: bool,
    cost_centre: str,
) -> Outturn:
    """One intervention's outturn; `suspended`: whether it is suspended as at the forecast."""
    actual = actual_by_month(lines, assumptions)
    paused = suspended and assumptions.suspended == "paused"
    committed = {} if paused else committed_by_month(terms, enrolments, assumptions)
    committed_pence = round_pence(sum(committed.values(), Fraction(0)))
    return Outturn(
        intervention_id=terms.intervention_id,
        provider_id=terms.provider_id,
        category=terms.category,
        cost_centre=cost_centre,
        budget_pence=year_budget(terms, assumptions.year),
        actual_pence=round_pence(sum(actual.values(), Fraction(0))),
        committed_pence=committed_pence,
        growth_pence=round_half_even(committed_pence * assumptions.demand_growth_bp, BASIS_POINTS),
        actual_by_month=actual,
        committed_by_month=committed,
        growth_factor=Fraction(BASIS_POINTS + assumptions.demand_growth_bp, BASIS_POINTS),
    )


def variance_percent(variance_pence: int, budget_pence: int) -> str | None:
    """Variance as a percentage of the budget to one place, half to even ('12.5', '-3.0')."""
    if budget_pence == 0:
        return None
    tenths = round_half_even(variance_pence * 1000, budget_pence)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{abs(tenths) // 10}.{abs(tenths) % 10}"


@dataclass(frozen=True)
class Figures:
    """Budget, actual, committed, growth (and the previous forecast) of a group."""

    budget_pence: int = 0
    actual_pence: int = 0
    committed_pence: int = 0
    growth_pence: int = 0
    previous_forecast_pence: int | None = None

    @property
    def forecast_pence(self) -> int:
        return self.actual_pence + self.committed_pence + self.growth_pence

    @property
    def variance_pence(self) -> int:
        return self.forecast_pence - self.budget_pence

    @property
    def variance_percent(self) -> str | None:
        return variance_percent(self.variance_pence, self.budget_pence)

    @property
    def movement_pence(self) -> int | None:
        if self.previous_forecast_pence is None:
            return None
        return self.forecast_pence - self.previous_forecast_pence

    def plus(self, other: Figures) -> Figures:
        previous = (
            None
            if self.previous_forecast_pence is None and other.previous_forecast_pence is None
            else (self.previous_forecast_pence or 0) + (other.previous_forecast_pence or 0)
        )
        return Figures(
            self.budget_pence + other.budget_pence,
            self.actual_pence + other.actual_pence,
            self.committed_pence + other.committed_pence,
            self.growth_pence + other.growth_pence,
            previous,
        )


@dataclass(frozen=True)
class SavedOutturn:
    """One intervention's figures in a saved forecast, with the groups it was in then."""

    intervention_id: str
    provider_id: str
    category: str
    cost_centre: str
    forecast_pence: int


def group_key(item: Outturn | SavedOutturn, group_by: str) -> str:
    if group_by not in GROUPINGS:
        raise RuleBroken("group_by", f"must be one of {', '.join(GROUPINGS)}")
    return str(getattr(item, GROUPINGS[group_by]))


def grouped(
    outturns: Iterable[Outturn],
    *,
    group_by: str,
    previous: Iterable[SavedOutturn] | None = None,
) -> dict[str, Figures]:
    """Figures per group, sorted by key; with `previous` (a saved forecast's interventions), each
    group's previous forecast, grouped as they were grouped when it was saved."""
    rows: dict[str, Figures] = defaultdict(Figures)
    for item in outturns:
        key = group_key(item, group_by)
        rows[key] = rows[key].plus(
            Figures(item.budget_pence, item.actual_pence, item.committed_pence, item.growth_pence)
        )
    if previous is not None:
        before: dict[str, int] = defaultdict(int)
        for saved in previous:
            before[group_key(saved, group_by)] += saved.forecast_pence
        for key in set(rows) | set(before):
            rows[key] = rows[key].plus(Figures(previous_forecast_pence=before.get(key, 0)))
    return dict(sorted(rows.items()))


def total(rows: Mapping[str, Figures], *, compared: bool) -> Figures:
    result = Figures(previous_forecast_pence=0 if compared else None)
    for figures in rows.values():
        result = result.plus(figures)
    return result
