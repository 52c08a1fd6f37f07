"""The 200 answers of the value reports, for the OpenAPI document (the reports are built as
plain dicts by the service layer; these say what they hold). Every figure has one type:
money `Pence` (with a printed `Pounds` beside it), counts `Count`, exact fractions `Decimal`,
and `Suppressed` where a figure about too few children is withheld (shared/http/openapi.py).
`tests/value/test_report_schemas.py` checks real reports against them."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields

from shared.events.catalogue.outcomes import NEED_LEVELS
from shared.http.openapi import count, decimal, money, printed_money, suppressible


def _nullable(figure: fields.Field, why: str) -> fields.Field:
    """`figure`, or null (`why`)."""
    figure.allow_none = True
    figure.metadata = {
        "anyOf": [*figure.metadata.pop("allOf"), {"type": "null"}],
        "description": why,
        **figure.metadata,
    }
    return figure


class ReportPart(Schema):
    """Documents what a report holds; a figure added later is allowed until it is documented."""

    class Meta:
        unknown = INCLUDE


class Period(ReportPart):
    from_ = fields.Date(data_key="from", metadata={"description": "first day, included"})
    to = fields.Date(metadata={"description": "last day, included"})


class ReportHeader(ReportPart):
    """What every value report says about itself."""

    report = fields.String()
    method = fields.String(metadata={"description": "the value method the figures follow"})
    period = fields.Nested(Period)
    basis = fields.String(metadata={"description": "accrued, invoiced or paid"})
    rule = fields.String(metadata={"description": "the attribution rule"})
    group_by = fields.String()
    suppression_threshold = count(
        metadata={"description": "counts of fewer children than this are suppressed (0: none)"}
    )
    spend_recorded_on_basis = fields.Boolean(
        metadata={"description": "whether any cost line on the basis meets the period"}
    )
    notice = fields.String(
        allow_none=True,
        metadata={"description": "what a reader must know first (no spend on the basis); or null"},
    )


class FiguresRow(ReportPart):
    group = fields.String(metadata={"description": "the group's id ('all' for the total)"})
    label = fields.String(metadata={"description": "the group's name"})
    spend_pence = money()
    spend = printed_money()
    unallocated_spend_pence = money(
        metadata={"description": "cost with no child enrolled to share it (method step 1)"}
    )
    children_served = suppressible("Count")
    child_weeks = decimal()
    children_with_baseline_and_later = suppressible("Count")
    better_off = suppressible("Decimal", metadata={"description": "attributed, 3 places"})
    worse_off = suppressible("Decimal", metadata={"description": "attributed, 3 places"})
    cost_per_better_off_pence = _nullable(
        suppressible("Pence"), "null where no one is better off or there is no spend"
    )
    cost_per_better_off = fields.String(
        allow_none=True,
        metadata={
            "description": "printed (£), 'suppressed', or 'no spend recorded on this basis' "
            "where outcomes have no spend to divide; null where no one is better off"
        },
    )
    better_off_per_1000 = _nullable(suppressible("Decimal"), "null where there is no spend")


class CostPerOutcomeReport(ReportHeader):
    rows = fields.List(fields.Nested(FiguresRow))
    total = fields.Nested(FiguresRow)


class HowMuch(ReportPart):
    children_served = suppressible("Count")
    child_weeks = decimal()
    spend_pence = money()
    spend = printed_money()
    sentence = fields.String()


class HowWell(ReportPart):
    cost_per_child_week_pence = _nullable(money(), "null without child-weeks")
    cost_per_child_week = _nullable(printed_money(), "null without child-weeks")
    children_with_current_outcome_data = suppressible("Count")
    current_outcome_data_percent = _nullable(decimal(), "null when the count is suppressed")
    median_days_to_report = fields.Float(
        allow_none=True,
        metadata={"description": "days from observation to report (a median: may end in .5)"},
    )
    observations_reported = count()
    observations_reported_within_30_days = count()
    sentence = fields.String()


class BetterOff(ReportPart):
    indicator = fields.String()
    children_measured = suppressible("Count")
    better_off = suppressible("Count")
    better_off_percent = _nullable(decimal(), "null when a count is suppressed or none measured")
    sentence = fields.String()


class Card(ReportPart):
    group = fields.String()
    label = fields.String()
    how_much = fields.Nested(HowMuch)
    how_well = fields.Nested(HowWell)
    is_anyone_better_off = fields.List(fields.Nested(BetterOff))


class ReportCardReport(ReportHeader):
    cards = fields.List(fields.Nested(Card))


class CurveMonth(ReportPart):
    month = fields.String(metadata={"description": "YYYY-MM"})
    children = suppressible("Count")
    actual = _nullable(suppressible("Decimal"), "the month's mean; null without readings")
    forecast = _nullable(decimal(), "null before the forecast can be fitted")
    gap = _nullable(decimal(), "actual - forecast; null without both (or when suppressed)")
    better_than_forecast = fields.Boolean(allow_none=True)
    spend_pence = money()


class Marker(ReportPart):
    intervention = fields.String()
    title = fields.String(metadata={"description": "the intervention's title"})
    began = fields.Date()


class TurnTheCurveReport(ReportHeader):
    indicator = fields.String()
    indicator_name = fields.String()
    direction = fields.String(metadata={"description": "higher_is_better or lower_is_better"})
    cohort = fields.String()
    since = fields.Date()
    forecast_method = fields.String()
    months = fields.List(fields.Nested(CurveMonth))
    markers = fields.List(fields.Nested(Marker))


GapMonth = ReportPart.from_dict(
    {
        "month": fields.String(metadata={"description": "YYYY-MM"}),
        **{
            level: _nullable(
                suppressible("Decimal"), f"the {level}-need cohort's mean (when compared)"
            )
            for level in NEED_LEVELS
        },
        "gap": _nullable(suppressible("Decimal"), "null without both means"),
    },
    name="GapMonth",
)


class NarrowTheGapReport(ReportHeader):
    indicator = fields.String()
    cohorts = fields.List(fields.String(), metadata={"description": "the two need levels"})
    months = fields.List(fields.Nested(GapMonth))
    gap_closing = fields.Boolean(allow_none=True)


class Difference(ReportPart):
    transaction_id = fields.String()
    kind = fields.String(allow_none=True)
    ledger_pence = money()
    report_pence = money()
    difference_pence = money()
    difference_exact = fields.String(metadata={"description": "exact pence, as a fraction"})


class ReconciliationReport(ReportHeader):
    report_spend_pence = money()
    report_spend = printed_money()
    ledger_spend_pence = money()
    ledger_spend = printed_money()
    difference_pence = money()
    balanced = fields.Boolean()
    transactions = count()
    differences = fields.List(fields.Nested(Difference))
