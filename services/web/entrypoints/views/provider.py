"""A provider's pages: the children it holds with their latest readings, posting a reading or a
spreadsheet of them, its interventions and its invoices. The APIs narrow every read to the
token's provider."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from services.web.adapters.api import ApiError
from services.web.domain.access import PROVIDERS
from services.web.domain.tables import SPREADSHEETS, latest_readings, parse_reading
from services.web.entrypoints.forms import FormErrors, date_field, require
from services.web.entrypoints.session import backends, signed_in
from services.web.entrypoints.views.reporting import passed_on

blp = Blueprint("provider", __name__, url_prefix="/provider")


def _held_children() -> list[str]:
    enrolments = backends().commissioning.enrolments(status="enrolled")
    return sorted({e["child_ref"] for e in enrolments})


@blp.get("/children")
@signed_in(PROVIDERS)
def children() -> Any:
    return render_template("provider/children.html", children=_held_children())


@blp.get("/children/<child_ref>")
@signed_in(PROVIDERS)
def child(child_ref: str) -> Any:
    api = backends()
    observations = api.outcomes.observations(child_ref)
    return render_template(
        "provider/child.html",
        child_ref=child_ref,
        latest=latest_readings(observations),
        observations=observations,
        enrolments=api.commissioning.enrolments(child_ref=child_ref),
    )


@blp.route("/readings/new", methods=["GET", "POST"])
@signed_in(PROVIDERS)
def new_reading() -> Any:
    api = backends()
    errors = FormErrors()
    if request.method == "POST":
        form = request.form
        require(
            form,
            errors,
            {"child_ref": "Select the child", "indicator_code": "Select what was measured"},
        )
        value: float | int | None = None
        try:
            value = parse_reading(form.get("value", ""))
        except ValueError as error:
            errors.add("value", str(error))
        observed_on = date_field(form, "observed_on", errors)
        if not errors:
            body = {
                "child_ref": form["child_ref"],
                "indicator_code": form["indicator_code"],
                "value": value,
                "observed_on": observed_on,
                "intervention_id": form.get("intervention_id") or None,
            }
            try:
                api.outcomes.record(body, key=form["idempotency_key"])
            except ApiError as error:
                errors.add_api_error(error, known_fields=set(body))
            else:
                flash(f"Reading recorded for {form['child_ref']}", "success")
                return redirect(url_for(".child", child_ref=form["child_ref"]))
    return render_template(
        "provider/new_reading.html",
        errors=errors,
        form=request.form,
        key=str(uuid.uuid4()),
        children=_held_children(),
        indicators=api.outcomes.indicators(),
        interventions=api.commissioning.interventions(),
        chosen_child=request.values.get("child_ref", ""),
    ), (400 if errors else 200)


@blp.route("/readings/upload", methods=["GET", "POST"])
@signed_in(PROVIDERS)
def upload() -> Any:
    """A spreadsheet of readings (the template filled in): each row's result, and the refused
    rows as a file to correct and upload again."""
    errors = FormErrors()
    answer = None
    if request.method == "POST":
        sheet = request.files.get("sheet")
        extension = (sheet.filename or "").rsplit(".", 1)[-1].lower() if sheet else ""
        if sheet is None or not sheet.filename:
            errors.add("sheet", "Select the spreadsheet to upload")
        elif extension not in SPREADSHEETS:
            errors.add("sheet", "The file must be a CSV or an Excel (XLSX) spreadsheet")
        else:
            try:
                answer = backends().outcomes.upload(
                    sheet.read(),
                    content_type=SPREADSHEETS[extension],
                    key=request.form["idempotency_key"],
                )
            except ApiError as error:
                if error.status not in (400, 413, 422):
                    raise
                errors.add("sheet", f"The file was not read: {error.detail}")
    refused_file = None
    if answer and answer.get("refused_rows_csv"):
        # handed back inside the page: the web keeps nothing, and the upload cannot be asked twice
        refused_file = base64.b64encode(answer["refused_rows_csv"].encode()).decode()
    return render_template(
        "provider/upload.html",
        errors=errors,
        answer=answer,
        refused_file=refused_file,
        key=str(uuid.uuid4()),
    ), (400 if errors else 200)


@blp.get("/readings/template.<extension>")
@signed_in(PROVIDERS)
def template(extension: str) -> Any:
    if extension not in SPREADSHEETS:
        abort(404)
    return passed_on(backends().outcomes.template(extension))


@blp.get("/interventions")
@signed_in(PROVIDERS)
def interventions() -> Any:
    return render_template(
        "provider/interventions.html", interventions=backends().commissioning.interventions()
    )


@blp.get("/invoices")
@signed_in(PROVIDERS)
def invoices() -> Any:
    found = backends().ledger.transactions(kind="invoice")
    found.sort(key=lambda txn: txn["accounting_date"], reverse=True)
    return render_template("provider/invoices.html", invoices=found)
