"""Providers, interventions and enrolments: lists with filters, detail pages, and the
commissioner's forms (commission, amend a price, enrol a child, end an enrolment)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from services.web.adapters.api import ApiError
from services.web.domain.access import COMMISSIONERS, COMMISSIONING_READERS
from services.web.entrypoints.forms import FormErrors, date_field, require
from services.web.entrypoints.session import backends, signed_in
from shared.events.catalogue.commissioning import (
    CATEGORIES,
    ENROLMENT_STATUSES,
    INTERVENTION_STATUSES,
    PRICING_MODELS,
    PROVIDER_KINDS,
    PROVIDER_STATUSES,
)

blp = Blueprint("commissioning", __name__)


def _filters(*names: str) -> dict[str, str]:
    return {name: request.args.get(name, "").strip() for name in names}


@blp.get("/providers")
@signed_in(COMMISSIONING_READERS)
def providers() -> Any:
    filters = _filters("kind", "status")
    found = backends().commissioning.providers(**filters)
    return render_template(
        "commissioning/providers.html",
        providers=found,
        filters=filters,
        kinds=PROVIDER_KINDS,
        statuses=PROVIDER_STATUSES,
    )


@blp.get("/providers/<provider_id>")
@signed_in(COMMISSIONING_READERS)
def provider(provider_id: str) -> Any:
    api = backends()
    return render_template(
        "commissioning/provider.html",
        provider=api.commissioning.provider(provider_id),
        interventions=api.commissioning.interventions(provider_id=provider_id),
    )


@blp.get("/interventions")
@signed_in(COMMISSIONING_READERS)
def interventions() -> Any:
    api = backends()
    filters = _filters("provider_id", "category", "status")
    providers_by_id = {p["provider_id"]: p for p in api.commissioning.providers()}
    return render_template(
        "commissioning/interventions.html",
        interventions=api.commissioning.interventions(**filters),
        filters=filters,
        providers=providers_by_id,
        categories=CATEGORIES,
        statuses=INTERVENTION_STATUSES,
    )


@blp.get("/interventions/<intervention_id>")
@signed_in(COMMISSIONING_READERS)
def intervention(intervention_id: str) -> Any:
    api = backends()
    found, etag = api.commissioning.intervention(intervention_id)
    return render_template(
        "commissioning/intervention.html",
        intervention=found,
        etag=etag,
        key=str(uuid.uuid4()),
        provider=api.commissioning.provider(found["provider_id"]),
        enrolments=api.commissioning.enrolments(intervention_id=intervention_id),
    )


@blp.post("/interventions/<intervention_id>/activate")
@signed_in(COMMISSIONERS)
def activate(intervention_id: str) -> Any:
    """A draft intervention becomes active (from today): children can be enrolled on it."""
    form = request.form
    try:
        backends().commissioning.activate(
            intervention_id, key=form["idempotency_key"], etag=form["etag"]
        )
    except ApiError as error:
        flash(f"It was not activated: {error.detail}")
    else:
        flash("The intervention is active: children can be enrolled on it", "success")
    return redirect(url_for(".intervention", intervention_id=intervention_id))


def _render_form(template: str, errors: FormErrors, **context: Any) -> Any:
    """A form page; after a refusal, with a fresh Idempotency-Key for the corrected attempt."""
    return render_template(
        template, errors=errors, form=request.form, key=str(uuid.uuid4()), **context
    ), (400 if errors else 200)


@blp.route("/interventions/new", methods=["GET", "POST"])
@signed_in(COMMISSIONERS)
def commission() -> Any:
    api = backends()
    errors = FormErrors()
    indicators = api.outcomes.indicators()
    if request.method == "POST":
        form = request.form
        require(
            form,
            errors,
            {
                "provider_id": "Select the provider",
                "title": "Enter a title",
                "category": "Select a category",
                "pricing_model": "Select how it is priced",
                "unit_price_pounds": "Enter the unit price in pounds",
                "capacity": "Enter how many children it can take",
                "budget_pounds": "Enter the budget in pounds",
            },
        )
        start = date_field(form, "start_date", errors)
        end = date_field(form, "end_date", errors)
        if not errors:
            body = {
                "provider_id": form["provider_id"],
                "title": form["title"].strip(),
                "category": form["category"],
                "pricing_model": form["pricing_model"],
                "unit_price_pounds": form["unit_price_pounds"].strip().lstrip("£"),
                "capacity": _whole_number(form["capacity"]),
                "start_date": start,
                "end_date": end,
                "budget_pounds": form["budget_pounds"].strip().lstrip("£"),
                "target_indicators": form.getlist("target_indicators"),
            }
            try:
                created = api.commissioning.commission(body, key=form["idempotency_key"])
            except ApiError as error:
                errors.add_api_error(error, known_fields=set(body))
            else:
                return redirect(
                    url_for(".intervention", intervention_id=created["intervention_id"])
                )
    return _render_form(
        "commissioning/commission.html",
        errors,
        providers=api.commissioning.providers(status="active"),
        categories=CATEGORIES,
        pricing_models=PRICING_MODELS,
        indicators=indicators,
    )


def _whole_number(text: str) -> int | str:
    """A count as the API wants it (an integer); anything else goes as typed, to be refused
    by the API with the field's name."""
    cleaned = text.strip()
    return int(cleaned) if cleaned.isdigit() else cleaned


@blp.route("/interventions/<intervention_id>/price", methods=["GET", "POST"])
@signed_in(COMMISSIONERS)
def amend_price(intervention_id: str) -> Any:
    api = backends()
    found, etag = api.commissioning.intervention(intervention_id)
    errors = FormErrors()
    if request.method == "POST":
        form = request.form
        require(form, errors, {"unit_price_pounds": "Enter the new unit price in pounds"})
        effective_from = date_field(form, "effective_from", errors)
        if not errors:
            body = {
                "effective_from": effective_from,
                "unit_price_pounds": form["unit_price_pounds"].strip().lstrip("£"),
            }
            try:
                api.commissioning.amend_price(
                    intervention_id, body, key=form["idempotency_key"], etag=form["etag"]
                )
            except ApiError as error:
                errors.add_api_error(error, known_fields=set(body))
            else:
                return redirect(url_for(".intervention", intervention_id=intervention_id))
    return _render_form("commissioning/amend_price.html", errors, intervention=found, etag=etag)


@blp.route("/interventions/<intervention_id>/enrol", methods=["GET", "POST"])
@signed_in(COMMISSIONERS)
def enrol(intervention_id: str) -> Any:
    api = backends()
    found, _ = api.commissioning.intervention(intervention_id)
    errors = FormErrors()
    if request.method == "POST":
        form = request.form
        require(form, errors, {"child_ref": "Enter the child's reference"})
        start = date_field(form, "start_date", errors)
        if not errors:
            body = {"child_ref": form["child_ref"].strip(), "start_date": start}
            try:
                created = api.commissioning.enrol(
                    intervention_id, body, key=form["idempotency_key"]
                )
            except ApiError as error:
                errors.add_api_error(error, known_fields=set(body))
            else:
                return redirect(url_for(".enrolment", enrolment_id=created["enrolment_id"]))
    return _render_form("commissioning/enrol.html", errors, intervention=found)


@blp.get("/enrolments")
@signed_in(COMMISSIONING_READERS)
def enrolments() -> Any:
    filters = _filters("intervention_id", "child_ref", "status")
    return render_template(
        "commissioning/enrolments.html",
        enrolments=backends().commissioning.enrolments(**filters),
        filters=filters,
        statuses=ENROLMENT_STATUSES,
    )


@blp.get("/enrolments/<enrolment_id>")
@signed_in(COMMISSIONING_READERS)
def enrolment(enrolment_id: str) -> Any:
    api = backends()
    found, _ = api.commissioning.enrolment(enrolment_id)
    intervention_found, _ = api.commissioning.intervention(found["intervention_id"])
    return render_template(
        "commissioning/enrolment.html", enrolment=found, intervention=intervention_found
    )


@blp.route("/enrolments/<enrolment_id>/end", methods=["GET", "POST"])
@signed_in(COMMISSIONERS)
def end_enrolment(enrolment_id: str) -> Any:
    api = backends()
    found, etag = api.commissioning.enrolment(enrolment_id)
    errors = FormErrors()
    if request.method == "POST":
        form = request.form
        require(form, errors, {"reason": "Enter why the enrolment ends"})
        end = date_field(form, "end_date", errors)
        if not errors:
            body = {"end_date": end, "reason": form["reason"].strip()}
            try:
                api.commissioning.end_enrolment(
                    enrolment_id, body, key=form["idempotency_key"], etag=form["etag"]
                )
            except ApiError as error:
                errors.add_api_error(error, known_fields=set(body))
            else:
                return redirect(url_for(".enrolment", enrolment_id=enrolment_id))
    return _render_form("commissioning/end_enrolment.html", errors, enrolment=found, etag=etag)
