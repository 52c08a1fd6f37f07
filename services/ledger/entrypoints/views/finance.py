"""Finance's month end: forecast outturn, saved forecasts, exceptions, month close, and the
small tables finance keeps (framework ceilings, cost centres).

Every report takes `as_at` and says when it was generated and as at when; those in `FORMATS`
also come as CSV or XLSX, which say so too (`services.ledger.adapters.exports`), as do the
response's `Acorn-Generated-At` / `Acorn-As-At` headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.views import MethodView

from services.ledger.adapters import exports
from services.ledger.domain import reference
from services.ledger.domain.model import RuleBroken
from services.ledger.entrypoints.views import finance_schemas as schemas
from services.ledger.entrypoints.views import report_schemas as answers
from services.ledger.entrypoints.views.access import (
    audited,
    context,
    finance,
    full_reader,
    names,
    problem,
    reader,
)
from services.ledger.service_layer import finance as use_cases
from shared.auth import COMMISSIONER, FINANCE
from shared.events.catalogue.commissioning import CATEGORIES, PRICING_MODELS
from shared.exports import XLSX_TYPE, Export
from shared.http import downloads
from shared.http.blueprint import Blueprint
from shared.http.idempotency import idempotent
from shared.http.openapi import report_response
from shared.http.problems import ProblemError

blp = Blueprint("finance", __name__, description="Forecast outturn, exceptions, month-end close.")
FILES = ("text/csv", XLSX_TYPE)


def answered(build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return build()
    except RuleBroken as error:
        raise problem(error) from error


def respond(
    report: dict[str, Any],
    fmt: str,
    layout: Callable[[dict[str, Any], exports.Names], Export],
) -> Any:
    """The report as JSON, or laid out as CSV or XLSX with when and as at when it answers."""
    if fmt == "json":
        return report
    return downloads.attachment(
        layout(report, names()),
        fmt,
        headers={"Acorn-Generated-At": report["generated_at"], "Acorn-As-At": report["as_at"]},
    )


def forecast_query(args: dict[str, Any]) -> use_cases.ForecastQuery:
    return use_cases.ForecastQuery(
        fy=args["fy"],
        group_by=args.get("group_by", "intervention"),
        basis=args["basis"],
        actuals_to=args["actuals_to"],
        open_ended_to=args["open_ended_to"],
        demand_growth_bp=args["demand_growth_bp"],
        suspended=args["suspended"],
        as_at=args.get("as_at"),
        compare_with=args.get("compare_with"),
    )


@blp.route("/forecast")
class Forecast(MethodView):
    @blp.arguments(schemas.ForecastArgs, location="query")
    @blp.doc(
        responses=report_response(
            answers.ForecastReport, "the forecast outturn by group, and the total", files=FILES
        )
    )
    def get(self, args: dict[str, Any]) -> Any:
        """Forecast outturn for a financial year: budget, actual to date, committed to the year
        end, growth, forecast, variance (pence and per cent) and movement since the forecast it
        is compared with (by default the latest saved for the year by `as_at`). The assumptions
        are in the answer."""
        reader(COMMISSIONER)
        report = answered(
            lambda: use_cases.forecast_report(forecast_query(args), ledger=context().ledger)
        )
        return respond(report, args["format"], exports.forecast_export)


@blp.route("/saved-forecasts")
class SavedForecasts(MethodView):
    @blp.arguments(schemas.SavedForecastArgs, location="query")
    @blp.doc(responses=report_response(answers.SavedForecasts, "the year's saved forecasts"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The year's saved forecasts, oldest first: who saved each, when, and its parameters."""
        reader(COMMISSIONER)
        saved = use_cases.saved_forecasts(args["fy"], ledger=context().ledger)
        return {"saved": [use_cases.saved_summary(s) for s in saved]}

    @idempotent
    @blp.arguments(schemas.ForecastParameters)
    @blp.doc(responses=report_response(answers.SavedForecast, "the forecast saved", status=201))
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Save the forecast as it stands now (finance), to compare later forecasts with."""
        caller = finance()
        with audited(caller, "save_forecast", str(body["fy"])) as log:
            saved = use_cases.save_forecast(
                forecast_query(body), by=caller.subject, ledger=context().ledger
            )
            log["forecast_id"] = saved.forecast_id
        return use_cases.saved_summary(saved), 201


@blp.route("/exceptions/high-cost")
class HighCost(MethodView):
    @blp.arguments(schemas.HighCostArgs, location="query")
    @blp.doc(responses=report_response(answers.HighCostReport, "high-cost placements", files=FILES))
    def get(self, args: dict[str, Any]) -> Any:
        """Placements open on `on` costing `threshold_pence` a week or more (default £10,000),
        dearest first, with cost to the year end. Categories with fewer children than the
        suppression threshold are counted as suppressed and their rows withheld, unless finance
        asks `unsuppressed`."""
        caller = full_reader()
        if args["unsuppressed"] and not caller.has_any(FINANCE):
            raise ProblemError(403, "only finance may see small numbers unsuppressed")
        ledger = context().ledger
        report = use_cases.high_cost(
            on=args["on"] or ledger.today(),
            threshold_pence=args["threshold_pence"],
            open_ended_to=args["open_ended_to"],
            suppression_threshold=0
            if args["unsuppressed"]
            else context().runtime.settings.extras["suppression_threshold"],
            moment=args["as_at"],
            ledger=ledger,
        )
        return respond(report, args["format"], exports.high_cost_export)


@blp.route("/exceptions/above-ceiling")
class AboveCeiling(MethodView):
    @blp.arguments(schemas.OnArgs, location="query")
    @blp.doc(
        responses=report_response(
            answers.AboveCeilingReport, "prices above the ceiling", files=FILES
        )
    )
    def get(self, args: dict[str, Any]) -> Any:
        """Interventions priced above the framework ceiling of their category and pricing model
        on `on` (default today), or from a price amendment recorded for later."""
        reader(COMMISSIONER)
        ledger = context().ledger
        report = use_cases.above_ceiling(
            on=args["on"] or ledger.today(), moment=args["as_at"], ledger=ledger
        )
        return respond(report, args["format"], exports.above_ceiling_export)


@blp.route("/exceptions/paid-after-end")
class PaidAfterEnd(MethodView):
    @blp.arguments(schemas.ExportArgs, location="query")
    @blp.doc(
        responses=report_response(answers.PaidAfterEndReport, "paying for what ended", files=FILES)
    )
    def get(self, args: dict[str, Any]) -> Any:
        """Invoices whose service period runs past the enrolment's or the intervention's end, and
        cost accrued while an intervention was suspended."""
        full_reader()
        report = use_cases.paid_after_end(moment=args["as_at"], ledger=context().ledger)
        return respond(report, args["format"], exports.paid_after_end_export)


@blp.route("/exceptions/budget-run-out")
class BudgetRunOut(MethodView):
    @blp.arguments(schemas.RunOutArgs, location="query")
    @blp.doc(
        responses=report_response(answers.BudgetRunOutReport, "budgets that run out", files=FILES)
    )
    def get(self, args: dict[str, Any]) -> Any:
        """Interventions whose forecast passes their budget for the year, with the month it does
        (the forecast's parameters apply)."""
        reader(COMMISSIONER)
        report = answered(
            lambda: use_cases.budget_run_out(forecast_query(args), ledger=context().ledger)
        )
        return respond(report, args["format"], exports.budget_run_out_export)


# --- month close ---------------------------------------------------------------------------------


@blp.route("/months")
class Months(MethodView):
    @blp.arguments(schemas.AsAtArgs, location="query")
    @blp.doc(responses=report_response(answers.Months, "closed months and their history"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The closed months, and every close and reopen: who, when and why."""
        full_reader()
        return use_cases.months(moment=args["as_at"], ledger=context().ledger)


def _act(month: str, action: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    caller = finance()
    with audited(caller, f"{action}_month", month, reason=body["reason"]):
        done = use_cases.act_on_month(
            month, action, by=caller.subject, reason=body["reason"], ledger=context().ledger
        )
    return {
        "month": done.month,
        "action": done.action,
        "sequence": done.sequence,
        "by": done.by,
        "at": done.at.isoformat().replace("+00:00", "Z"),
        "reason": done.reason,
    }, 201


@blp.route("/months/<month>/close")
class CloseMonth(MethodView):
    @idempotent
    @blp.arguments(schemas.MonthActionIn)
    @blp.doc(responses=report_response(answers.MonthAction, "what was done", status=201))
    def post(self, body: dict[str, Any], month: str) -> tuple[dict[str, Any], int]:
        """Close a month (finance): nothing more is posted with an accounting date in it."""
        return _act(month, "close", body)


@blp.route("/months/<month>/reopen")
class ReopenMonth(MethodView):
    @idempotent
    @blp.arguments(schemas.MonthActionIn)
    @blp.doc(responses=report_response(answers.MonthAction, "what was done", status=201))
    def post(self, body: dict[str, Any], month: str) -> tuple[dict[str, Any], int]:
        """Reopen a closed month (finance); audited like closing."""
        return _act(month, "reopen", body)


# --- reference tables ----------------------------------------------------------------------------


def _set(table: str, key: str, value: int | str | None) -> dict[str, Any]:
    caller = finance()
    with audited(caller, f"set_{table}", key, value=value):
        entry = use_cases.set_entry(table, key, value, by=caller.subject, ledger=context().ledger)
    return {"key": entry.key, "value": entry.value, "sequence": entry.sequence, "by": entry.by}


def _ceiling_key(category: str, pricing_model: str) -> str:
    errors = []
    if category not in CATEGORIES:
        errors.append({"field": "category", "reason": f"must be one of {', '.join(CATEGORIES)}"})
    if pricing_model not in PRICING_MODELS:
        errors.append(
            {"field": "pricing_model", "reason": f"must be one of {', '.join(PRICING_MODELS)}"}
        )
    if errors:
        raise ProblemError(422, "unknown category or pricing model", errors=errors)
    return reference.ceiling_key(category, pricing_model)


@blp.route("/framework-ceilings")
class Ceilings(MethodView):
    @blp.arguments(schemas.AsAtArgs, location="query")
    @blp.doc(responses=report_response(answers.Table, "the table as at the moment asked"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The framework's highest unit price per `<category>/<pricing model>`, in pence."""
        reader(COMMISSIONER)
        return use_cases.table(
            reference.FRAMEWORK_CEILINGS, moment=args["as_at"], ledger=context().ledger
        )


@blp.route("/framework-ceilings/<category>/<pricing_model>")
class Ceiling(MethodView):
    @idempotent
    @blp.arguments(schemas.CeilingIn)
    @blp.doc(responses=report_response(answers.TableEntry, "the entry as set"))
    def put(self, body: dict[str, Any], category: str, pricing_model: str) -> dict[str, Any]:
        """Set the ceiling of a category's unit prices in one pricing model (finance)."""
        return _set(
            reference.FRAMEWORK_CEILINGS, _ceiling_key(category, pricing_model), body["unit_price"]
        )

    @idempotent
    @blp.doc(responses=report_response(answers.TableEntry, "the entry, now removed"))
    def delete(self, category: str, pricing_model: str) -> dict[str, Any]:
        """Remove a ceiling (finance); what it was stays readable as at earlier moments."""
        return _set(reference.FRAMEWORK_CEILINGS, _ceiling_key(category, pricing_model), None)


@blp.route("/cost-centres")
class CostCentres(MethodView):
    @blp.arguments(schemas.AsAtArgs, location="query")
    @blp.doc(responses=report_response(answers.Table, "the table as at the moment asked"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The cost centre each intervention is charged to (others: `unassigned`)."""
        reader(COMMISSIONER)
        return use_cases.table(
            reference.COST_CENTRES, moment=args["as_at"], ledger=context().ledger
        )


@blp.route("/cost-centres/<intervention_id>")
class CostCentre(MethodView):
    @idempotent
    @blp.arguments(schemas.CostCentreIn)
    @blp.doc(responses=report_response(answers.TableEntry, "the entry as set"))
    def put(self, body: dict[str, Any], intervention_id: str) -> dict[str, Any]:
        """Charge an intervention to a cost centre (finance)."""
        return _set(reference.COST_CENTRES, _intervention_key(intervention_id), body["cost_centre"])

    @idempotent
    @blp.doc(responses=report_response(answers.TableEntry, "the entry, now removed"))
    def delete(self, intervention_id: str) -> dict[str, Any]:
        """Leave an intervention unassigned (finance)."""
        return _set(reference.COST_CENTRES, _intervention_key(intervention_id), None)


def _intervention_key(intervention_id: str) -> str:
    if context().ledger.commissioning.provider_of(intervention_id) is None:
        raise ProblemError(
            422,
            f"intervention {intervention_id!r} is not known",
            errors=[{"field": "intervention_id", "reason": "not known to the ledger"}],
        )
    return intervention_id
