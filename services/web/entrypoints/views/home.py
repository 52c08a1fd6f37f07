"""Home: the year's headline for the people who read reports; a provider's own summary."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for

from services.web.domain.access import PROVIDERS, REPORT_READERS, may
from services.web.domain.tables import sort_rows
from services.web.entrypoints.session import backends, signed_in
from services.web.entrypoints.views import reporting

blp = Blueprint("home", __name__)

TOP_ROWS = 5  # the interventions that took the most money, each a click from its rows


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
        "home.html", report=report, params=params, years=years, errors=errors, top_rows=top_rows
    )
    return page, (400 if errors else 200)


@blp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
