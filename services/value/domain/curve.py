"""Turning the curve and narrowing the gap: an indicator's monthly history for a population,
its baseline forecast, and the gap between what happened and what was forecast."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np

from services.value.domain.model import Facts, Period
from services.value.domain.needs import need_levels_on
from services.value.domain.observations import ObservationTable, month_name
from services.value.domain.periods import calendar_month
from services.value.domain.prepared import Prepared, prepared


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    children: int
    mean: Fraction | None  # mean of each child's latest value in the month


def months_of(period: Period) -> list[str]:
    months, year, month = [], period.start.year, period.start.month
    while date(year, month, 1) <= period.end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def cohort_filter(facts: Facts, period: Period, cohort: str | None) -> Callable[[str], bool]:
    """`None` or "all": every child; otherwise children whose need level at the end of the period
    is `cohort`."""
    if cohort in (None, "all"):
        return lambda child_ref: True
    levels = need_levels_on(facts.needs, period.end)
    return lambda child_ref: levels.get(child_ref) == cohort


def monthly_history(
    table: ObservationTable,
    *,
    indicator_code: str,
    months: list[str],
    include: Callable[[str], bool],
) -> list[Month]:
    """Each month's mean of every included child's latest value in it. A series' rows are in
    order, so the latest of a month is its last row in that month (nothing is sorted again)."""
    if indicator_code not in table.codes:
        return [Month(m, 0, None) for m in months]
    of_indicator = np.flatnonzero(table.series_codes() == table.codes.index(indicator_code))
    wanted = [s for s in of_indicator if include(table.series_names(int(s))[0])]
    rows = table.rows_of(np.array(wanted, dtype=np.int64))
    month = table.months[rows]
    series = table.series_of_rows[rows]
    # a row is its series' latest of the month when the next row is another series or month
    last = np.r_[(series[1:] != series[:-1]) | (month[1:] != month[:-1]), True][: len(rows)]
    latest_month, latest_value = month[last], table.value[rows[last]]
    found: dict[str, tuple[int, Fraction]] = {}
    for number in np.unique(latest_month):
        counts = np.bincount(latest_value[latest_month == number])
        children = int(counts.sum())
        total = sum((int(n) * table.values[v] for v, n in enumerate(counts) if n), Fraction(0))
        found[month_name(int(number))] = (children, total)
    return [
        Month(m, found[m][0], found[m][1] / found[m][0]) if m in found else Month(m, 0, None)
        for m in months
    ]


def least_squares(points: list[tuple[int, Fraction]]) -> tuple[Fraction, Fraction] | None:
    """(intercept, slope) of the exact least-squares line, or None with fewer than two points."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = Fraction(sum(x for x, _ in points), n)
    mean_y = sum((y for _, y in points), Fraction(0)) / n
    spread = sum(((x - mean_x) * (x - mean_x) for x, _ in points), Fraction(0))
    slope = sum(((x - mean_x) * (y - mean_y) for x, y in points), Fraction(0)) / spread
    return mean_y - slope * mean_x, slope


@dataclass(frozen=True)
class CurvePoint:
    month: str
    children: int
    actual: Fraction | None
    forecast: Fraction | None
    spend: Fraction

    @property
    def gap(self) -> Fraction | None:
        if self.actual is None or self.forecast is None:
            return None
        return self.actual - self.forecast


@dataclass(frozen=True)
class Curve:
    points: list[CurvePoint]
    since: date
    markers: list[tuple[str, date]]  # (intervention, first enrolment start) within the range


def turn_the_curve(
    facts: Facts | Prepared,
    period: Period,
    *,
    indicator_code: str,
    since: date,
    cohort: str | None = None,
) -> Curve:
    """The forecast is fitted on the months before `since` and extended over the months from it.
    Spend is that of the interventions targeting the indicator (on the facts' cost basis)."""
    arranged = prepared(facts)
    known = arranged.facts
    months = months_of(period)
    include = cohort_filter(known, period, cohort)
    history = monthly_history(
        arranged.observed, indicator_code=indicator_code, months=months, include=include
    )
    cut = since.isoformat()[:7]
    fit = least_squares(
        [(i, m.mean) for i, m in enumerate(history) if m.month < cut and m.mean is not None]
    )
    targeting = {k for k, i in known.interventions.items() if indicator_code in i.target_indicators}
    spend = arranged.spend
    pairs = np.array(
        [n for n, (k, c) in enumerate(spend.pairs) if k in targeting and (c is None or include(c))],
        dtype=np.int64,
    )
    points = []
    for index, month in enumerate(history):
        window = calendar_month(month.month)
        spent = spend.total_in(window, pairs)
        forecast = fit[0] + fit[1] * index if fit and month.month >= cut else None
        points.append(CurvePoint(month.month, month.children, month.mean, forecast, spent))
    starts: dict[str, date] = {}
    for (k, c), periods in arranged.enrolled.items():
        if k in targeting and include(c):
            first = periods[0].start
            starts[k] = min(starts.get(k, first), first)
    markers = sorted((k, s) for k, s in starts.items() if period.contains(s))
    return Curve(points, since, markers)


@dataclass(frozen=True)
class GapPoint:
    month: str
    first: Month
    second: Month

    @property
    def gap(self) -> Fraction | None:
        if self.first.mean is None or self.second.mean is None:
            return None
        return self.first.mean - self.second.mean


def narrow_the_gap(
    facts: Facts | Prepared, period: Period, *, indicator_code: str, first: str, second: str
) -> tuple[list[GapPoint], bool | None]:
    """The indicator for two cohorts side by side, and whether the gap is closing: the
    least-squares slope of the gap's size over the months is negative (None: too few months)."""
    arranged = prepared(facts)
    months = months_of(period)
    series = [
        monthly_history(
            arranged.observed,
            indicator_code=indicator_code,
            months=months,
            include=cohort_filter(arranged.facts, period, cohort),
        )
        for cohort in (first, second)
    ]
    points = [GapPoint(m, a, b) for m, a, b in zip(months, *series, strict=True)]
    fit = least_squares([(i, abs(p.gap)) for i, p in enumerate(points) if p.gap is not None])
    return points, (None if fit is None else fit[1] < 0)
