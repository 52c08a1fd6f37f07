"""Finance's month end, from the ledger: the forecast outturn against budget (saved forecasts and
the movement since), the exceptions behind the variance, and closing and reopening months."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from services.web.adapters.api import ApiError, Backends
from services.web.domain import finance as rules
from services.web.domain.access import (
    FINANCE_OFFICERS,
    FORECAST_READERS,
    LEDGER_FULL_READERS,
    may,
)
from services.web.domain.tables import financial_year_of
from services.web.entrypoints.forms import FormErrors
from services.web.entrypoints.session import backends, signed_in
from services.web.entrypoints.views import reporting

blp = Blueprint("finance", __name__, url_prefix="/finance")

DOWNLOADS = ("csv", "xlsx")
FORECAST_FIELDS = {"fy", "group_by", "basis", "open_ended_to", "demand_growth_bp"}
MONTH_ACTIONS = {"close": "Close", "reopen": "Reopen"}


def forecast_years(api: Backends) -> tuple[list[int], int]:
    """The years the council's interventions span, and up to this financial year (a forecast is
    most use for the year still running); the page opens on the year the reports open on."""
    years, default_fy = reporting.financial_years(api)
    current = financial_year_of(datetime.now(UTC).date())
    return sorted({*years, *range(max(years) + 1, current + 1)}, reverse=True), default_fy


def fetch(api: Backends, path: str, query: dict[str, str], errors: FormErrors) -> Any:
    """A ledger report, or its refusal of the parameters placed on the form."""
    try:
        return api.ledger.report(path, query)
    except ApiError as error:
        if error.status not in (400, 404, 422):
            raise
        errors.add_api_error(error, known_fields=FORECAST_FIELDS | {"on", "threshold_pence"})
        return None


@blp.get("/forecast")
@signed_in(FORECAST_READERS)
def forecast() -> Any:
    api = backends()
    years, default_fy = forecast_years(api)
    chosen = rules.forecast_params(request.args.to_dict(), default_fy=default_fy)
    errors = FormErrors()
    for name, message in chosen.problems.items():
        errors.add(name, message)
    report = None if errors else fetch(api, "/forecast", chosen.query, errors)
    names: dict[str, str] = {}
    if report and report["group_by"] in ("intervention", "provider"):
        names = rules.group_names(
            report["group_by"], reporting.interventions(api), reporting.providers(api)
        )
    return render_template(
        "finance/forecast.html",
        report=report,
        params=chosen.query,
        growth_percent=request.args.get("growth_percent", ""),
        years=years,
        errors=errors,
        names=names,
        groupings=rules.FORECAST_GROUPINGS,
        saved=api.ledger.saved_forecasts(chosen.query["fy"]) if report else [],
        may_save=may(g.user.roles, FINANCE_OFFICERS),
        key=str(uuid.uuid4()),
    ), (400 if errors else 200)


@blp.get("/forecast.<extension>")
@signed_in(FORECAST_READERS)
def forecast_download(extension: str) -> Response:
    if extension not in DOWNLOADS:
        abort(404)
    api = backends()
    _, default_fy = forecast_years(api)
    chosen = rules.forecast_params(request.args.to_dict(), default_fy=default_fy)
    if chosen.problems:
        abort(400, "; ".join(chosen.problems.values()))
    return reporting.passed_on(
        api.ledger.download("/forecast", {**chosen.query, "format": extension})
    )


@blp.post("/forecast/save")
@signed_in(FINANCE_OFFICERS)
def save_forecast() -> Any:
    """Save the forecast as it stands, for later forecasts' movement to be measured from."""
    form = request.form.to_dict()
    if not form.get("fy", "").isdigit():
        abort(400, "Choose a financial year")
    chosen = rules.forecast_params(form, default_fy=int(form["fy"]))
    back = url_for(".forecast", **chosen.query, growth_percent=form.get("growth_percent", ""))
    if chosen.problems:
        flash("; ".join(chosen.problems.values()), "error")
        return redirect(back)
    body: dict[str, Any] = {k: v for k, v in chosen.query.items() if k != "group_by"}
    body["fy"] = int(body["fy"])
    body["demand_growth_bp"] = int(body["demand_growth_bp"])
    try:
        saved = backends().ledger.save_forecast(body, key=form.get("idempotency_key", ""))
    except ApiError as error:
        if error.status not in (400, 409, 422):
            raise
        flash(f"The forecast was not saved: {error.detail}", "error")
    else:
        flash(f"Forecast saved at {saved['saved_at'][:16].replace('T', ' ')}", "success")
    return redirect(back)


@blp.get("/exceptions")
@signed_in(FORECAST_READERS)
def exceptions() -> Any:
    """The exceptions behind the variance; per-child lists only for the ledger's full readers."""
    api = backends()
    years, default_fy = forecast_years(api)
    form = request.args.to_dict()
    fy = form.get("fy", "").strip() or str(default_fy)
    if not fy.isdigit():
        abort(400, "Choose a financial year")
    on = rules.exceptions_day(int(fy), datetime.now(UTC).date()).isoformat()
    errors = FormErrors()
    threshold_text = form.get("threshold", rules.DEFAULT_HIGH_COST_POUNDS)
    lists: dict[str, Any] = {
        "above_ceiling": fetch(api, "/exceptions/above-ceiling", {"on": on}, errors),
        "run_out": fetch(api, "/exceptions/budget-run-out", {"fy": fy}, errors),
    }
    if may(g.user.roles, LEDGER_FULL_READERS):
        try:
            threshold = rules.weekly_threshold_pence(threshold_text)
        except ValueError as error:
            errors.add("threshold", str(error))
        else:
            query = {"threshold_pence": str(threshold), "on": on}
            if form.get("unsuppressed") and may(g.user.roles, FINANCE_OFFICERS):
                query["unsuppressed"] = "true"
            lists["high_cost"] = fetch(api, "/exceptions/high-cost", query, errors)
        lists["paid_after_end"] = fetch(api, "/exceptions/paid-after-end", {}, errors)
    return render_template(
        "finance/exceptions.html",
        lists=lists,
        fy=fy,
        years=years,
        threshold=threshold_text,
        unsuppressed=bool(form.get("unsuppressed")),
        errors=errors,
        names=rules.group_names("intervention", reporting.interventions(api), []),
        providers=rules.group_names("provider", [], reporting.providers(api)),
        full_reader=may(g.user.roles, LEDGER_FULL_READERS),
        finance_officer=may(g.user.roles, FINANCE_OFFICERS),
    ), (400 if errors else 200)


@blp.get("/months")
@signed_in(LEDGER_FULL_READERS)
def months() -> Any:
    return render_template(
        "finance/months.html",
        months=backends().ledger.months(),
        may_act=may(g.user.roles, FINANCE_OFFICERS),
        suggested=rules.month_before(datetime.now(UTC).date()),
        errors=FormErrors(),
    )


@blp.route("/months/<action>", methods=["GET", "POST"])
@signed_in(FINANCE_OFFICERS)
def act_on_month(action: str) -> Any:
    """Close or reopen a month: a page to confirm it, with the reason kept in the ledger's audit."""
    if action not in MONTH_ACTIONS:
        abort(404)
    values = request.values
    month = values.get("month", "").strip()
    errors = FormErrors()
    if not rules.is_month(month):
        errors.add("month", "Enter the month as year and month, like 2025-10")
        return render_template(
            "finance/months.html",
            months=backends().ledger.months(),
            may_act=True,
            suggested=month,
            errors=errors,
        ), 400
    if request.method == "POST":  # the confirmation page's button
        try:
            backends().ledger.act_on_month(
                month, action, values.get("reason", "").strip(), key=values["idempotency_key"]
            )
        except ApiError as error:
            if error.status not in (400, 409, 422):
                raise
            errors.add_api_error(error, known_fields={"reason"})
        else:
            flash(f"{month} is {'closed' if action == 'close' else 'open again'}", "success")
            return redirect(url_for(".months"))
    return render_template(
        "finance/confirm_month.html",
        action=action,
        verb=MONTH_ACTIONS[action],
        month=month,
        reason=values.get("reason", ""),
        errors=errors,
        key=str(uuid.uuid4()),
    ), (400 if errors else 200)
