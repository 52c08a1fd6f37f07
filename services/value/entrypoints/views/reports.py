"""Report endpoints. Views are thin: query arguments -> ReportQuery -> use case -> response in
the format asked for (JSON by default; CSV, XLSX, and PNG or SVG for the charted reports)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from services.value.adapters import charts
from services.value.domain.attribution import RULES
from services.value.domain.cost_per_outcome import GROUPINGS
from services.value.domain.periods import PeriodError, resolve_period
from services.value.domain.report_card import CARD_GROUPINGS
from services.value.entrypoints.views import report_schemas
from services.value.service_layer import curves, reports, tables
from shared.auth import ADMIN, AUDITOR, COMMISSIONER, FINANCE
from shared.events.catalogue.ledger import DEFAULT_BASIS
from shared.events.catalogue.outcomes import NEED_LEVELS
from shared.exports import Export
from shared.fields import FIRST_DAY, LAST_DAY, Day, FullMatch, IndicatorCode
from shared.http import downloads
from shared.http.blueprint import Blueprint
from shared.http.openapi import report_response
from shared.http.problems import ProblemError
from shared.http.security import require_role

READERS = (FINANCE, COMMISSIONER, AUDITOR, ADMIN)
BASES = ("accrued", "invoiced", "paid")
TABLE_FORMATS = ("json", "csv", "xlsx")
CHART_FORMATS = (*TABLE_FORMATS, *charts.FORMATS)
COHORTS = ("all", *NEED_LEVELS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_FILES = ("text/csv", XLSX)
CHART_FILES = (*TABLE_FILES, "image/png", "image/svg+xml")

blp = Blueprint("reports", __name__, url_prefix="/reports", description="Value reports")


class ReportArgs(Schema):
    fy = fields.Integer(
        validate=validate.Range(min=FIRST_DAY.year, max=LAST_DAY.year - 1),
        metadata={"description": "financial year: 2024 is 2024-04-01..2025-03-31"},
    )
    quarter = fields.Integer(validate=validate.Range(min=1, max=4))
    month = fields.String(
        validate=FullMatch(
            r"^(199[0-9]|20[0-9]{2})-(0[1-9]|1[0-2])$", error="must be a month YYYY-MM, 1990-2099"
        )
    )
    from_ = Day(data_key="from")
    to = Day()
    basis = fields.String(load_default=DEFAULT_BASIS, validate=validate.OneOf(BASES))
    rule = fields.String(load_default="cost_share", validate=validate.OneOf(RULES))
    group_by = fields.String(load_default="intervention", validate=validate.OneOf(GROUPINGS))
    unsuppressed = fields.Boolean(
        load_default=False, metadata={"description": "finance only: show small numbers"}
    )
    format = fields.String(load_default="json", validate=validate.OneOf(TABLE_FORMATS))


class ChartedReportArgs(ReportArgs):
    format = fields.String(load_default="json", validate=validate.OneOf(CHART_FORMATS))


class CurveArgs(ChartedReportArgs):
    indicator = IndicatorCode(required=True)
    since = Day(required=True, metadata={"description": "fit the forecast before this"})
    cohort = fields.String(load_default="all", validate=validate.OneOf(COHORTS))


class GapArgs(ReportArgs):
    indicator = IndicatorCode(required=True)
    first = fields.String(required=True, validate=validate.OneOf(NEED_LEVELS))
    second = fields.String(required=True, validate=validate.OneOf(NEED_LEVELS))


def report_query(args: dict[str, Any]) -> reports.ReportQuery:
    caller = require_role(*READERS)
    if args["unsuppressed"] and not caller.has_any(FINANCE):
        raise ProblemError(403, "only finance may see small numbers unsuppressed")
    try:
        period = resolve_period(
            fy=args.get("fy"),
            quarter=args.get("quarter"),
            month=args.get("month"),
            start=args.get("from_"),
            end=args.get("to"),
        )
    except PeriodError as error:
        raise ProblemError(
            422, str(error), errors=[{"field": error.field, "reason": error.reason}]
        ) from error
    api = current_app.extensions["acorn"]
    return reports.ReportQuery(
        period=period,
        basis=args["basis"],
        rule=args["rule"],
        group_by=args["group_by"],
        suppression_threshold=0 if args["unsuppressed"] else api.suppression_threshold,
        baseline_window_days=api.baseline_window_days,
    )


def read_model() -> reports.ReadModelView:
    read_model: reports.ReadModelView = current_app.extensions["acorn"].read_model
    return read_model


def respond(
    report: dict[str, Any],
    fmt: str,
    *,
    table: Callable[..., Export],
    chart: Callable[[dict[str, Any], str], bytes] | None = None,
) -> Any:
    if fmt in downloads.FORMATS:
        generated_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return downloads.attachment(table(report, generated_at=generated_at), fmt)
    if fmt in charts.FORMATS and chart is not None:
        mimetype = "image/png" if fmt == "png" else "image/svg+xml"
        return Response(chart(report, fmt), mimetype=mimetype)
    return report


def unknown_indicator(code: str) -> ProblemError:
    return ProblemError(
        422, f"no indicator {code!r}", errors=[{"field": "indicator", "reason": "unknown"}]
    )


@blp.route("/cost-per-outcome")
class CostPerOutcome(MethodView):
    @blp.arguments(ChartedReportArgs, location="query", unknown=RAISE)
    @blp.doc(
        responses=report_response(
            report_schemas.CostPerOutcomeReport,
            "cost per better-off outcome by group, and the total",
            files=CHART_FILES,
        )
    )
    def get(self, args: dict[str, Any]) -> Any:
        """Cost per better-off outcome, by group, with unallocated spend shown."""
        report = reports.build_cost_per_outcome(read_model(), report_query(args))
        return respond(
            report,
            args["format"],
            table=tables.cost_per_outcome_export,
            chart=charts.cost_per_outcome_chart,
        )


@blp.route("/report-card")
class ReportCard(MethodView):
    @blp.arguments(ReportArgs, location="query", unknown=RAISE)
    @blp.doc(
        responses=report_response(
            report_schemas.ReportCardReport, "a report card per group", files=TABLE_FILES
        )
    )
    def get(self, args: dict[str, Any]) -> Any:
        """The RBA report card per intervention (or `group_by=provider`), in plain language."""
        query = report_query(args)
        if query.group_by not in CARD_GROUPINGS:
            raise ProblemError(
                422,
                "report cards are per intervention or provider",
                errors=[{"field": "group_by", "reason": "must be intervention or provider"}],
            )
        report = reports.build_report_card(read_model(), query)
        return respond(report, args["format"], table=tables.report_card_export)


@blp.route("/turn-the-curve")
class TurnTheCurve(MethodView):
    @blp.arguments(CurveArgs, location="query", unknown=RAISE)
    @blp.doc(
        responses=report_response(
            report_schemas.TurnTheCurveReport,
            "the indicator's months against the forecast",
            files=CHART_FILES,
        )
    )
    def get(self, args: dict[str, Any]) -> Any:
        """An indicator's monthly history, baseline forecast, gap and spend, for a cohort."""
        try:
            report = curves.build_turn_the_curve(
                read_model(),
                report_query(args),
                indicator=args["indicator"],
                since=args["since"],
                cohort=args["cohort"],
            )
        except curves.UnknownIndicator as error:
            raise unknown_indicator(args["indicator"]) from error
        return respond(
            report,
            args["format"],
            table=tables.turn_the_curve_export,
            chart=charts.turn_the_curve_chart,
        )


@blp.route("/narrow-the-gap")
class NarrowTheGap(MethodView):
    @blp.arguments(GapArgs, location="query", unknown=RAISE)
    @blp.doc(
        responses=report_response(
            report_schemas.NarrowTheGapReport,
            "the two cohorts' months and the gap",
            files=TABLE_FILES,
        )
    )
    def get(self, args: dict[str, Any]) -> Any:
        """An indicator for two need-level cohorts side by side, and whether the gap closes."""
        try:
            report = curves.build_narrow_the_gap(
                read_model(),
                report_query(args),
                indicator=args["indicator"],
                first=args["first"],
                second=args["second"],
            )
        except curves.UnknownIndicator as error:
            raise unknown_indicator(args["indicator"]) from error
        return respond(report, args["format"], table=tables.narrow_the_gap_export)


@blp.route("/reconciliation")
class Reconciliation(MethodView):
    @blp.arguments(ReportArgs, location="query", unknown=RAISE)
    @blp.doc(
        responses=report_response(
            report_schemas.ReconciliationReport,
            "the report's spend against the ledger's",
            files=TABLE_FILES,
        )
    )
    def get(self, args: dict[str, Any]) -> Any:
        """The report's spend against the ledger transactions received, to the penny."""
        report = reports.build_reconciliation(read_model(), report_query(args))
        return respond(report, args["format"], table=tables.reconciliation_export)
