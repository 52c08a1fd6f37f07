"""Use cases: turn the curve and narrow the gap for one indicator."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from services.value.domain.curve import GapPoint, narrow_the_gap, turn_the_curve
from services.value.domain.model import HIGHER_IS_BETTER
from services.value.domain.presentation import SUPPRESSED, fixed_point, pence
from services.value.service_layer.reports import ReadModelView, ReportQuery


class UnknownIndicator(LookupError):
    pass


def _value(mean: Fraction | None, children: int, threshold: int) -> str | None:
    if 0 < children < threshold:
        return SUPPRESSED
    return None if mean is None else fixed_point(mean, 2)


def build_turn_the_curve(
    read_model: ReadModelView,
    query: ReportQuery,
    *,
    indicator: str,
    since: date,
    cohort: str | None,
) -> dict[str, Any]:
    return read_model.cached(
        ("turn_the_curve", query, indicator, since, cohort),
        lambda: _turn_the_curve(read_model, query, indicator=indicator, since=since, cohort=cohort),
    )


def _turn_the_curve(
    read_model: ReadModelView,
    query: ReportQuery,
    *,
    indicator: str,
    since: date,
    cohort: str | None,
) -> dict[str, Any]:
    source = read_model.source(query.basis)
    found = source.rows("SELECT name, direction FROM indicators WHERE code = $code", code=indicator)
    if not found:
        raise UnknownIndicator(indicator)
    [(name, direction)] = found
    curve = turn_the_curve(
        source, query.period, indicator_code=indicator, since=since, cohort=cohort
    )
    threshold = query.suppression_threshold
    sign = 1 if direction == HIGHER_IS_BETTER else -1
    titles = dict(source.rows("SELECT intervention_id, title FROM interventions"))
    return {
        **query.header("turn_the_curve", source),
        "indicator": indicator,
        "indicator_name": name,
        "direction": direction,
        "cohort": cohort or "all",
        "since": since.isoformat(),
        "forecast_method": "linear least squares on the monthly means before `since`",
        "months": [
            {
                "month": p.month,
                "children": SUPPRESSED if 0 < p.children < threshold else p.children,
                "actual": _value(p.actual, p.children, threshold),
                "forecast": None if p.forecast is None else fixed_point(p.forecast, 2),
                "gap": None
                if p.gap is None or 0 < p.children < threshold
                else fixed_point(p.gap, 2),
                "better_than_forecast": None
                if p.gap is None or 0 < p.children < threshold
                else p.gap * sign > 0,
                "spend_pence": pence(p.spend),
            }
            for p in curve.points
        ],
        "markers": [
            {"intervention": k, "title": titles[k], "began": d.isoformat()}
            for k, d in curve.markers
        ],
    }


def build_narrow_the_gap(
    read_model: ReadModelView, query: ReportQuery, *, indicator: str, first: str, second: str
) -> dict[str, Any]:
    return read_model.cached(
        ("narrow_the_gap", query, indicator, first, second),
        lambda: _narrow_the_gap(read_model, query, indicator=indicator, first=first, second=second),
    )


def _narrow_the_gap(
    read_model: ReadModelView, query: ReportQuery, *, indicator: str, first: str, second: str
) -> dict[str, Any]:
    source = read_model.source(query.basis)
    if not source.rows("SELECT code FROM indicators WHERE code = $code", code=indicator):
        raise UnknownIndicator(indicator)
    points, closing = narrow_the_gap(
        source, query.period, indicator_code=indicator, first=first, second=second
    )
    threshold = query.suppression_threshold

    def hidden(point: GapPoint) -> bool:
        return 0 < point.first.children < threshold or 0 < point.second.children < threshold

    return {
        **query.header("narrow_the_gap", source),
        "indicator": indicator,
        "cohorts": [first, second],
        "months": [
            {
                "month": p.month,
                first: _value(p.first.mean, p.first.children, threshold),
                second: _value(p.second.mean, p.second.children, threshold),
                "gap": SUPPRESSED
                if hidden(p)
                else (None if p.gap is None else fixed_point(p.gap, 2)),
            }
            for p in points
        ],
        "gap_closing": closing,
    }
