"""The value reports: cost per outcome (sortable, downloadable, with the rows behind each
figure), report cards, turn the curve, narrow the gap and reconciliation."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from services.web.adapters.api import ApiError, Backends
from services.web.domain import tables
from services.web.domain.access import (
    COST_LINE_READERS,
    OBSERVATION_READERS,
    REPORT_READERS,
    STORY_WRITERS,
    may,
)
from services.web.entrypoints.forms import FormErrors
from services.web.entrypoints.session import backends, signed_in
from services.web.entrypoints.views import reporting

blp = Blueprint("reports", __name__, url_prefix="/reports")

DOWNLOADS = ("csv", "xlsx")
# observations are read a child at a time; a drill-down shows this many children's
MAX_CHILDREN_OBSERVED = 30


@blp.get("/cost-per-outcome")
@signed_in(REPORT_READERS)
def cost_per_outcome() -> Any:
    api = backends()
    params, years = reporting.requested_params(api)
    report, errors = reporting.fetch_report(api, "cost-per-outcome", params)
    sort = request.args.get("sort", "label")
    descending = request.args.get("order") == "desc"
    rows = tables.sort_rows(report["rows"], sort, descending=descending) if report else []
    return render_template(
        "reports/cost_per_outcome.html",
        report=report,
        rows=rows,
        params=params,
        years=years,
        errors=errors,
        sort=sort,
        descending=descending,
        groupings=tables.GROUPINGS,
        groups_of_interventions=tables.GROUPS_OF_INTERVENTIONS,
        drillable=tables.drillable,
        bases=tables.BASES,
        rules=tables.RULES,
    ), (400 if errors else 200)


@blp.get("/cost-per-outcome.<extension>")
@signed_in(REPORT_READERS)
def cost_per_outcome_download(extension: str) -> Response:
    if extension not in DOWNLOADS:
        abort(404)
    api = backends()
    params, _ = reporting.requested_params(api)
    return reporting.passed_on(
        api.value.download("cost-per-outcome", {**params, "format": extension})
    )


@blp.get("/cost-per-outcome/interventions/<intervention_id>")
@signed_in(REPORT_READERS)
def rows_behind(intervention_id: str) -> Any:
    """The cost lines, enrolments and observations behind one intervention's row."""
    api = backends()
    params, _ = reporting.requested_params(api)
    params["group_by"] = "intervention"
    report, errors = reporting.fetch_report(api, "cost-per-outcome", params)
    if report is None:
        abort(400, "; ".join(item["text"] for item in errors.summary()))
    row = next((r for r in report["rows"] if r["group"] == intervention_id), None)
    if row is None:
        abort(404, "That intervention has no row in this report")
    period_from, period_to = tables.period_of(report)
    intervention, _ = api.commissioning.intervention(intervention_id)
    enrolments = [
        e
        for e in api.commissioning.enrolments(intervention_id=intervention_id)
        if tables.overlaps(e["start_date"], e["end_date"], period_from, period_to)
    ]
    cost_lines = None
    if may(g.user.roles, COST_LINE_READERS):
        cost_lines = [
            {**line, "transaction": txn}
            for txn in api.ledger.transactions(intervention_id=intervention_id)
            if txn["basis"] == params["basis"]
            for line in txn["lines"]
            if tables.overlaps(
                line["service_period_start"], line["service_period_end"], period_from, period_to
            )
        ]
    observations = None
    children = sorted({e["child_ref"] for e in enrolments})
    if may(g.user.roles, OBSERVATION_READERS):
        targets = set(intervention["target_indicators"])
        with ThreadPoolExecutor(max_workers=8) as pool:  # one call per child: side by side
            per_child = pool.map(api.outcomes.observations, children[:MAX_CHILDREN_OBSERVED])
            observations = [
                o
                for readings in per_child
                for o in readings
                if o["indicator_code"] in targets and o["observed_on"] <= period_to
            ]
    return render_template(
        "reports/rows_behind.html",
        report=report,
        row=row,
        params=params,
        intervention=intervention,
        enrolments=enrolments,
        cost_lines=cost_lines,
        cost_lines_total=sum(line["cost_pence"] for line in cost_lines or []),
        observations=observations,
        children=children,
        max_children=MAX_CHILDREN_OBSERVED,
    )


@blp.get("/cost-per-outcome/groups/<group_by>/<group>")
@signed_in(REPORT_READERS)
def group_behind(group_by: str, group: str) -> Any:
    """A row grouped by provider, category or outcome area: the interventions it is made of,
    each with its own row and a link to the rows behind that."""
    if group_by == "intervention":
        return redirect(url_for(".rows_behind", intervention_id=group, **request.args))
    if not tables.drillable(group_by, group):
        abort(404)
    api = backends()
    params, _ = reporting.requested_params(api)
    report, errors = reporting.fetch_report(
        api, "cost-per-outcome", {**params, "group_by": group_by}
    )
    if report is None:
        abort(400, "; ".join(item["text"] for item in errors.summary()))
    row = next((r for r in report["rows"] if r["group"] == group), None)
    if row is None:
        abort(404, "That group has no row in this report")
    members = tables.interventions_in(
        group_by, group, reporting.interventions(api), api.outcomes.indicators()
    )
    by_intervention = api.value.report("cost-per-outcome", {**params, "group_by": "intervention"})
    rows = [r for r in by_intervention["rows"] if r["group"] in members]
    return render_template(
        "reports/group_behind.html",
        report=report,
        row=row,
        rows=tables.sort_rows(rows, "spend", descending=True),
        params={**params, "group_by": "intervention"},
        back={**params, "group_by": group_by},
        spend_of_rows=sum(r["spend_pence"] for r in rows),
    )


@blp.get("/report-cards")
@signed_in(REPORT_READERS)
def report_cards() -> Any:
    api = backends()
    params, years = reporting.requested_params(api)
    report, errors = reporting.fetch_report(api, "report-card", params)
    return render_template(
        "reports/report_cards.html", report=report, params=params, years=years, errors=errors
    ), (400 if errors else 200)


@blp.get("/reconciliation")
@signed_in(REPORT_READERS)
def reconciliation() -> Any:
    api = backends()
    params, years = reporting.requested_params(api)
    report, errors = reporting.fetch_report(api, "reconciliation", params)
    return render_template(
        "reports/reconciliation.html",
        report=report,
        params=params,
        years=years,
        errors=errors,
        bases=tables.BASES,
    ), (400 if errors else 200)


@blp.get("/turn-the-curve")
@signed_in(REPORT_READERS)
def turn_the_curve() -> Any:
    api = backends()
    params, years = reporting.requested_params(api)
    indicators = _indicator_chosen(api, params)
    cohort = request.args.get("cohort", "all")
    params["cohort"] = cohort if cohort in tables.COHORTS else "all"
    since = request.args.get("since", "").strip()
    if since:
        params["since"] = since
    else:
        fy = int(params.get("fy") or years[0])
        params["since"] = f"{fy}-10-01"  # half way through the year, until someone chooses
    report, errors = reporting.fetch_report(api, "turn-the-curve", params)
    chart = json.dumps(_chart_data(report)) if report else None
    return render_template(
        "reports/turn_the_curve.html",
        report=report,
        params=params,
        years=years,
        errors=errors,
        indicators=indicators,
        cohorts=tables.COHORTS,
        chart=chart,
        stories=api.outcomes.stories(params["indicator"], params["cohort"]),
        may_write=may(g.user.roles, STORY_WRITERS),
        story_errors=FormErrors(),
        key=str(uuid.uuid4()),
    ), (400 if errors else 200)


@blp.get("/narrow-the-gap")
@signed_in(REPORT_READERS)
def narrow_the_gap() -> Any:
    """An indicator for two need levels side by side, month by month: is the gap closing?"""
    api = backends()
    params, years = reporting.requested_params(api)
    indicators = _indicator_chosen(api, params)
    params["first"], params["second"] = tables.gap_cohorts(
        request.args.get("first", ""), request.args.get("second", "")
    )
    report, errors = reporting.fetch_report(api, "narrow-the-gap", params)
    chart = json.dumps(_gap_chart_data(report)) if report else None
    return render_template(
        "reports/narrow_the_gap.html",
        report=report,
        params=params,
        years=years,
        errors=errors,
        indicators=indicators,
        need_levels=tables.NEED_LEVELS,
        chart=chart,
    ), (400 if errors else 200)


@blp.post("/turn-the-curve/story")
@signed_in(STORY_WRITERS)
def save_story() -> Any:
    """Save the story behind the curve beside it (the outcomes service keeps every version)."""
    form = request.form
    back = url_for(".turn_the_curve", **{k: v for k, v in form.items() if k in CURVE_FIELDS})
    text = form.get("text", "").strip()
    if not text:
        flash("Write the story behind the curve before saving it", "error")
        return redirect(back)
    try:
        backends().outcomes.save_story(
            form.get("indicator", ""),
            {"text": text, "cohort": form.get("cohort", "all")},
            key=form["idempotency_key"],
        )
    except ApiError as error:
        if error.status not in (400, 404, 422):
            raise
        flash(f"The story was not saved: {error.detail}", "error")
    else:
        flash("The story behind the curve is saved", "success")
    return redirect(back)


def _indicator_chosen(api: Backends, params: dict[str, str]) -> list[dict[str, Any]]:
    """The framework's indicators, the one asked for (or the first) put in `params`."""
    indicators = api.outcomes.indicators()
    params["indicator"] = request.args.get("indicator") or indicators[0]["code"]
    return indicators


# what the story form carries back to the chart it was written beside
CURVE_FIELDS = ("fy", "from", "to", "basis", "indicator", "since", "cohort")


def _number(value: Any) -> float | None:
    """A figure to draw (charts are the one place a figure becomes a float)."""
    if value is None or value == "suppressed":
        return None
    return float(value)


BLUE, RED, GREY = "#1d70b8", "#d4351c", "#505a5f"  # GOV.UK's colours


def _line(label: str, values: list[float | None], colour: str, *, dashed: bool = False) -> Any:
    return {"label": label, "data": values, "colour": colour, "dashed": dashed}


def _chart_data(report: dict[str, Any]) -> dict[str, Any]:
    months = report["months"]
    name = report.get("indicator_name", report["indicator"])
    return {
        "labels": [m["month"] for m in months],
        "lines": [
            _line(f"{name} (actual)", [_number(m["actual"]) for m in months], BLUE),
            _line(
                "Forecast from the months before",
                [_number(m["forecast"]) for m in months],
                RED,
                dashed=True,
            ),
        ],
    }


def _gap_chart_data(report: dict[str, Any]) -> dict[str, Any]:
    first, second = report["cohorts"]
    months = report["months"]
    return {
        "labels": [m["month"] for m in months],
        "lines": [
            _line(f"{first.capitalize()} need", [_number(m[first]) for m in months], RED),
            _line(f"{second.capitalize()} need", [_number(m[second]) for m in months], BLUE),
            _line("Gap", [_number(m["gap"]) for m in months], GREY, dashed=True),
        ],
    }
