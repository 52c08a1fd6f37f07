"""Turning the curve and narrowing the gap: an indicator's monthly history for a population,
its baseline forecast, and the gap between what happened and what was forecast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from services.value.domain.model import Facts, Period
from services.value.domain.queries import Source, exact_sums, source_of, window


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


# the children of a cohort: every child ("all"), or those whose need level at the end of the
# period is the cohort
COHORT = """
WITH cohort AS (SELECT child_ref FROM child_groups('need_level', $last_day) WHERE key = $cohort)
"""
INCLUDED = "($cohort = 'all' OR {child} IN (SELECT child_ref FROM cohort))"


def monthly_history(
    source: Source, period: Period, *, indicator_code: str, cohort: str
) -> list[Month]:
    """Each month's mean of every included child's latest value in it (latest: by day, then
    recording time, then id)."""
    found = {
        month: (children, total)
        for month, children, total in source.rows(
            COHORT
            + f"""SELECT month, count(*), sum(value_scaled) FROM (
                SELECT strftime(observed_on, '%Y-%m') AS month, value_scaled
                FROM current_observations
                WHERE indicator_code = $code AND {INCLUDED.format(child="child_ref")}
                    AND observed_on BETWEEN date_trunc('month', $first_day)
                        AND last_day($last_day)
                QUALIFY row_number() OVER (PARTITION BY child_ref, month
                    ORDER BY observed_on DESC, recorded_at DESC, observation_id DESC) = 1)
            GROUP BY month""",
            **window(period),
            code=indicator_code,
            cohort=cohort,
        )
    }
    return [
        Month(m, found[m][0], Fraction(int(found[m][1]), found[m][0] * source.value_scale))
        if m in found
        else Month(m, 0, None)
        for m in months_of(period)
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
    facts: Facts | Source,
    period: Period,
    *,
    indicator_code: str,
    since: date,
    cohort: str | None = None,
) -> Curve:
    """The forecast is fitted on the months before `since` and extended over the months from it.
    Spend is that of the interventions targeting the indicator (on the facts' cost basis), on the
    cohort's children and unallocated."""
    source = source_of(facts)
    cohort = cohort or "all"
    history = monthly_history(source, period, indicator_code=indicator_code, cohort=cohort)
    cut = since.isoformat()[:7]
    fit = least_squares(
        [(i, m.mean) for i, m in enumerate(history) if m.month < cut and m.mean is not None]
    )
    parameters = {**window(period), "code": indicator_code, "cohort": cohort}
    spent = exact_sums(
        source.rows(
            COHORT
            + f"""SELECT strftime(m.first_day, '%Y-%m'), s.numerator::HUGEINT
                * (least(s.end_date, last_day(m.first_day))
                    - greatest(s.start_date, m.first_day) + 1), s.denominator
            FROM (SELECT unnest(generate_series(date_trunc('month', $first_day),
                date_trunc('month', $last_day), INTERVAL 1 MONTH))::DATE AS first_day) m
            JOIN segments($basis) s ON s.start_date <= last_day(m.first_day)
                AND s.end_date >= m.first_day
            WHERE s.intervention_id IN (
                    SELECT intervention_id FROM targeted WHERE indicator_code = $code)
                AND (s.child_ref IS NULL OR {INCLUDED.format(child="s.child_ref")})""",
            **parameters,
            basis=source.basis,
        )
    )
    points = []
    for index, month in enumerate(history):
        forecast = fit[0] + fit[1] * index if fit and month.month >= cut else None
        points.append(
            CurvePoint(
                month.month,
                month.children,
                month.mean,
                forecast,
                spent.get(month.month, Fraction(0)),
            )
        )
    markers = source.rows(
        COHORT
        + f"""SELECT intervention_id, min(start_date) AS began FROM enrolled
        WHERE intervention_id IN (SELECT intervention_id FROM targeted WHERE indicator_code = $code)
            AND {INCLUDED.format(child="child_ref")}
        GROUP BY intervention_id HAVING began BETWEEN $first_day AND $last_day
        ORDER BY intervention_id, began""",
        **parameters,
    )
    return Curve(points, since, [(k, began) for k, began in markers])


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
    facts: Facts | Source, period: Period, *, indicator_code: str, first: str, second: str
) -> tuple[list[GapPoint], bool | None]:
    """The indicator for two cohorts side by side, and whether the gap is closing: the
    least-squares slope of the gap's size over the months is negative (None: too few months)."""
    source = source_of(facts)
    series = [
        monthly_history(source, period, indicator_code=indicator_code, cohort=cohort)
        for cohort in (first, second)
    ]
    months = months_of(period)
    points = [GapPoint(m, a, b) for m, a, b in zip(months, *series, strict=True)]
    fit = least_squares([(i, abs(p.gap)) for i, p in enumerate(points) if p.gap is not None])
    return points, (None if fit is None else fit[1] < 0)
