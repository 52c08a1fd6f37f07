"""Home: the year's headline for the people who read reports (with the forecast outturn against
budget from the ledger); a provider's own summary."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for

from services.web.adapters.api import ApiError, Backends
from services.web.domain.access import FORECAST_READERS, PROVIDERS, REPORT_READERS, may
from services.web.domain.tables import sort_rows
from services.web.entrypoints.session import backends, signed_in
from services.web.entrypoints.views import reporting
from shared.logs import log_fields

blp = Blueprint("home", __name__)

TOP_ROWS = 5  # the interventions that took the most money, each a click from its rows
log = logging.getLogger("acorn.web")


@blp.get("/")
@signed_in(REPORT_READERS | PROVIDERS)
def index() -> Any:
    if not may(g.user.roles, REPORT_READERS):
        return redirect(url_for("provider.children"))
    api = backends()
    params, years = reporting.requested_params(api)
    report, errors = reporting.fetch_report(api, "cost-per-outcome", params)
    top_rows = sort_rows(report["rows"], "spend", descending=True)[:TOP_ROWS] if report else []
    page = render_template(
        "home.html",
        report=report,
        params=params,
        years=years,
        errors=errors,
        top_rows=top_rows,
        forecast=_forecast(api, params) if may(g.user.roles, FORECAST_READERS) else None,
    )
    return page, (400 if errors else 200)


def _forecast(api: Backends, params: dict[str, str]) -> dict[str, Any] | None:
    """The year's forecast outturn against budget, its actual cost on the headline's basis; a
    note instead when the ledger cannot answer: the home page must not fail for one figure."""
    if "fy" not in params:  # a period between two dates: the forecast is by financial year
        return None
    query = {"fy": params["fy"], "group_by": "category", "basis": params["basis"]}
    try:
        forecast: dict[str, Any] = api.ledger.report("/forecast", query)
    except ApiError as error:
        if error.status in (401, 403):
            raise
        log.warning("forecast unavailable", extra=log_fields(status=error.status))
        return {"unavailable": True}
    return forecast


@blp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
