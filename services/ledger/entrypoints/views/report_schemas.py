"""The 200 answers of finance's month-end reports, for the OpenAPI document (the service layer
builds them as plain dicts; these say what they hold), in the figures every service documents
the same way (shared/http/openapi.py): money `Pence`, counts `Count`, per cents `Decimal`, and
`Suppressed` for a count withheld. `tests/ledger/test_finance_stack.py` checks real answers
against them."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields

from shared.http.openapi import count, decimal, money, suppressible


class ReportPart(Schema):
    """Documents what a report holds; a figure added later is allowed until it is documented."""

    class Meta:
        unknown = INCLUDE


class Stamped(ReportPart):
    generated_at = fields.String(metadata={"description": "when the answer was made (UTC)"})
    as_at = fields.String(metadata={"description": "the moment the answer reflects (UTC)"})


class Assumptions(ReportPart):
    financial_year = fields.String(metadata={"description": "e.g. 2025-26"})
    year_start = fields.Date()
    year_end = fields.Date()
    basis = fields.String()
    actuals_to = fields.Date()
    open_ended_to = fields.String()
    demand_growth_bp = fields.Integer(metadata={"description": "basis points a year"})
    suspended = fields.String()


class SavedForecast(ReportPart):
    forecast_id = fields.String()
    financial_year = fields.String()
    saved_by = fields.String()
    saved_at = fields.String()
    as_at = fields.String()
    parameters = fields.Nested(Assumptions)


class SavedForecasts(ReportPart):
    saved = fields.List(fields.Nested(SavedForecast))


class ForecastFigures(ReportPart):
    key = fields.String(metadata={"description": "the group's id, or 'total'"})
    budget_pence = money()
    actual_pence = money()
    committed_pence = money()
    growth_pence = money()
    forecast_pence = money()
    variance_pence = money()
    variance_percent = decimal(allow_none=True, metadata={"description": "null without budget"})
    previous_forecast_pence = money(allow_none=True)
    movement_pence = money(allow_none=True)


class ForecastReport(Stamped):
    report = fields.String()
    group_by = fields.String()
    assumptions = fields.Nested(Assumptions)
    compared_with = fields.Nested(SavedForecast, allow_none=True)
    rows = fields.List(fields.Nested(ForecastFigures))
    total = fields.Nested(ForecastFigures)


class CategoryCount(ReportPart):
    category = fields.String()
    children = suppressible("Count")


class HighCostPlacement(ReportPart):
    child_ref = fields.String()
    enrolment_id = fields.String()
    intervention_id = fields.String()
    provider_id = fields.String()
    category = fields.String()
    weekly_cost_pence = money()
    start_date = fields.Date()
    planned_end_date = fields.Date(allow_none=True)
    cost_to_year_end_pence = money()


class HighCostReport(Stamped):
    report = fields.String()
    on = fields.Date()
    threshold_weekly_pence = money()
    open_ended_to = fields.String()
    suppression_threshold = count()
    by_category = fields.List(fields.Nested(CategoryCount))
    withheld_rows = count(metadata={"description": "rows of suppressed categories"})
    rows = fields.List(fields.Nested(HighCostPlacement))


class PriceAboveCeiling(ReportPart):
    intervention_id = fields.String()
    provider_id = fields.String()
    category = fields.String()
    pricing_model = fields.String()
    unit_price_pence = money()
    effective_from = fields.Date()
    ceiling_pence = money()
    excess_pence = money()


class AboveCeilingReport(Stamped):
    report = fields.String()
    on = fields.Date()
    rows = fields.List(fields.Nested(PriceAboveCeiling))


class InvoicedAfterEnd(ReportPart):
    transaction_id = fields.String()
    invoice_number = fields.String(allow_none=True)
    intervention_id = fields.String()
    provider_id = fields.String()
    child_ref = fields.String(allow_none=True)
    service_period_start = fields.Date()
    service_period_end = fields.Date()
    ended_on = fields.Date()
    what_ended = fields.String(metadata={"description": "enrolment or intervention"})
    cost_after_end_pence = money()


class AccruedWhileSuspended(ReportPart):
    intervention_id = fields.String()
    provider_id = fields.String()
    suspended_from = fields.Date()
    suspended_to = fields.Date()
    accrued_pence = money()


class PaidAfterEndReport(Stamped):
    report = fields.String()
    invoiced_after_end = fields.List(fields.Nested(InvoicedAfterEnd))
    accrued_while_suspended = fields.List(fields.Nested(AccruedWhileSuspended))


class RunOut(ReportPart):
    intervention_id = fields.String()
    provider_id = fields.String()
    category = fields.String()
    budget_pence = money()
    forecast_pence = money()
    overspend_pence = money()
    run_out_month = fields.String(allow_none=True, metadata={"description": "YYYY-MM"})


class BudgetRunOutReport(Stamped):
    report = fields.String()
    assumptions = fields.Nested(Assumptions)
    rows = fields.List(fields.Nested(RunOut))


class MonthAction(ReportPart):
    month = fields.String(metadata={"description": "YYYY-MM"})
    action = fields.String(metadata={"description": "close or reopen"})
    reason = fields.String(allow_none=True)
    by = fields.String()
    at = fields.String()
    sequence = count()


class Months(Stamped):
    closed = fields.List(fields.String(), metadata={"description": "closed months, YYYY-MM"})
    history = fields.List(fields.Nested(MonthAction))


class Table(Stamped):
    table = fields.String()
    entries = fields.Dict(
        keys=fields.String(),
        metadata={"description": "framework ceilings (pence) or cost centres, by key"},
    )


class TableEntry(ReportPart):
    key = fields.String()
    value = fields.Raw(allow_none=True, metadata={"description": "null once removed"})
    sequence = count()
    by = fields.String()
