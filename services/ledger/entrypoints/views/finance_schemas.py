"""Query and request bodies of finance's month-end resources (forecast, exceptions, close)."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import Schema, ValidationError, fields, validate

from services.ledger.domain.exceptions import DEFAULT_HIGH_COST_WEEKLY_PENCE
from services.ledger.domain.forecast import GROUPINGS, OPEN_ENDED, SUSPENDED
from shared.fields import FIRST_DAY, LAST_DAY, MAX_PENCE, Day, FullMatch, PenceOrPounds, Text

FORMATS = ("json", "csv", "xlsx")
ACTUAL_BASES = ("accrued", "invoiced", "paid")


FINANCIAL_YEARS = validate.Range(min=FIRST_DAY.year, max=LAST_DAY.year - 1)


def _within_the_calendar(moment: datetime) -> None:
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise ValidationError(f"must be between {FIRST_DAY} and {LAST_DAY}")


def as_at_field() -> fields.AwareDateTime:
    return fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        validate=_within_the_calendar,
        metadata={
            "description": "answer from the facts recorded by this moment (ISO 8601; UTC if no "
            "offset); default now"
        },
    )


class AsAtArgs(Schema):
    as_at = as_at_field()


class ExportArgs(AsAtArgs):
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class ForecastParameters(Schema):
    fy = fields.Integer(
        required=True,
        strict=False,
        validate=FINANCIAL_YEARS,
        metadata={"description": "financial year by its first calendar year: 2025 is 2025-26"},
    )
    basis = fields.String(load_default="accrued", validate=validate.OneOf(ACTUAL_BASES))
    actuals_to = Day(
        load_default=None,
        metadata={"description": "last day of actual cost; default the end of last month"},
    )
    open_ended_to = fields.String(load_default="year_end", validate=validate.OneOf(OPEN_ENDED))
    demand_growth_bp = fields.Integer(
        load_default=0,
        validate=validate.Range(min=-10_000, max=100_000),
        metadata={"description": "new demand, basis points of committed cost (250 = 2.5%)"},
    )
    suspended = fields.String(load_default="paused", validate=validate.OneOf(SUSPENDED))


class ForecastArgs(ForecastParameters, ExportArgs):
    group_by = fields.String(load_default="intervention", validate=validate.OneOf(GROUPINGS))
    compare_with = Text(
        load_default=None,
        metadata={"description": "a saved forecast's id, or 'none'; default the latest saved"},
    )


class RunOutArgs(ForecastParameters, ExportArgs):
    pass


class SavedForecastArgs(Schema):
    fy = fields.Integer(required=True, validate=FINANCIAL_YEARS)


class HighCostArgs(ExportArgs):
    on = Day(load_default=None, metadata={"description": "default today"})
    threshold_pence = fields.Integer(
        load_default=DEFAULT_HIGH_COST_WEEKLY_PENCE, validate=validate.Range(min=1, max=MAX_PENCE)
    )
    open_ended_to = fields.String(load_default="year_end", validate=validate.OneOf(OPEN_ENDED))
    unsuppressed = fields.Boolean(
        load_default=False, metadata={"description": "finance only: show small numbers"}
    )


class OnArgs(ExportArgs):
    on = Day(load_default=None, metadata={"description": "default today"})


class MonthActionIn(Schema):
    reason = Text(load_default=None, max_length=500)


class CeilingIn(Schema):
    unit_price = PenceOrPounds(
        required=True,
        metadata={"description": "whole pence (integer) or pounds as a decimal string"},
    )


class CostCentreIn(Schema):
    cost_centre = fields.String(
        required=True, validate=FullMatch(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,39}$")
    )
