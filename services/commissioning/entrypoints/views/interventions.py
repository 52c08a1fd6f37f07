"""/interventions: commission, read, list, price amendments, status transitions, enrolling."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.commissioning.domain import commands
from services.commissioning.domain.errors import Refused
from services.commissioning.domain.model import Correction, Enrolment, Intervention
from services.commissioning.entrypoints.views import schemas
from services.commissioning.entrypoints.views.common import (
    app_services,
    audit,
    commissioner,
    problems,
    reader_scope,
)
from services.commissioning.service_layer import handlers, queries
from shared.http.blueprint import Blueprint
from shared.http.concurrency import IF_MATCH_DOC, etag, expected_version
from shared.http.idempotency import idempotent
from shared.http.paging import paginate

blp = Blueprint(
    "interventions",
    __name__,
    url_prefix="/interventions",
    description="Commissioned services: prices, capacity, dates, status and enrolments.",
)

Answer = tuple[Intervention, int, dict[str, str]]
TRANSITION_ERRORS = (400, 403, 404, 409, 412, 422, 428)


def _answer(intervention: Intervention, status: int = 200) -> Answer:
    headers = {"ETag": etag(intervention.version)}
    if status == 201:
        headers["Location"] = f"/interventions/{intervention.intervention_id}"
    return intervention, status, headers


@blp.route("")
class Interventions(MethodView):
    @blp.arguments(schemas.InterventionQuery, location="query")
    @blp.response(200, schemas.InterventionPage)
    @problems(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List interventions by provider, category, status or a day they run on."""
        found = queries.list_interventions(
            scope=reader_scope(),
            interventions=app_services().interventions,
            provider_id=args.get("provider_id"),
            category=args.get("category"),
            status=args.get("status"),
            active_on=args.get("active_on"),
        )
        return paginate(found, args)

    @idempotent
    @blp.arguments(schemas.InterventionCreate)
    @blp.response(201, schemas.InterventionOut)
    @problems(blp, 400, 403, 409)
    def post(self, data: dict[str, Any]) -> Answer:
        """Commission an intervention (as a draft) from a registered, active provider."""
        caller = commissioner()
        services = app_services()
        intervention = handlers.commission_intervention(
            commands.CommissionIntervention(**data),
            providers=services.providers,
            interventions=services.interventions,
        )
        audit(caller, "intervention.commission", intervention.intervention_id)
        return _answer(intervention, 201)


@blp.route("/<intervention_id>")
class InterventionById(MethodView):
    @blp.response(200, schemas.InterventionOut)
    @problems(blp, 403, 404)
    def get(self, intervention_id: str) -> Answer:
        """Read one intervention with its price history, and its ETag."""
        return _answer(
            queries.get_intervention(
                intervention_id, scope=reader_scope(), interventions=app_services().interventions
            )
        )


def _transition(action: str, intervention_id: str, command: Any, handler: Any) -> Answer:
    caller = commissioner()
    intervention = handler(command, interventions=app_services().interventions)
    audit(caller, f"intervention.{action}", intervention_id, version=intervention.version)
    return _answer(intervention)


@blp.route("/<intervention_id>/activate")
class Activate(MethodView):
    @idempotent
    @blp.arguments(schemas.EffectiveDate)
    @blp.response(200, schemas.InterventionOut)
    @blp.doc(parameters=[IF_MATCH_DOC])
    @problems(blp, *TRANSITION_ERRORS)
    def post(self, data: dict[str, Any], intervention_id: str) -> Answer:
        """Activate a draft: children can be enrolled from now on."""
        command = commands.ActivateIntervention(
            intervention_id, expected_version(), data["effective_date"]
        )
        return _transition("activate", intervention_id, command, handlers.activate_intervention)


@blp.route("/<intervention_id>/suspend")
class Suspend(MethodView):
    @idempotent
    @blp.arguments(schemas.Suspension)
    @blp.response(200, schemas.InterventionOut)
    @blp.doc(parameters=[IF_MATCH_DOC])
    @problems(blp, *TRANSITION_ERRORS)
    def post(self, data: dict[str, Any], intervention_id: str) -> Answer:
        """Suspend an active intervention: no new enrolments until it is resumed."""
        command = commands.SuspendIntervention(
            intervention_id, expected_version(), data["effective_date"], data["reason"]
        )
        return _transition("suspend", intervention_id, command, handlers.suspend_intervention)


@blp.route("/<intervention_id>/resume")
class Resume(MethodView):
    @idempotent
    @blp.arguments(schemas.EffectiveDate)
    @blp.response(200, schemas.InterventionOut)
    @blp.doc(parameters=[IF_MATCH_DOC])
    @problems(blp, *TRANSITION_ERRORS)
    def post(self, data: dict[str, Any], intervention_id: str) -> Answer:
        """Resume a suspended intervention."""
        command = commands.ResumeIntervention(
            intervention_id, expected_version(), data["effective_date"]
        )
        return _transition("resume", intervention_id, command, handlers.resume_intervention)


@blp.route("/<intervention_id>/end")
class End(MethodView):
    @idempotent
    @blp.arguments(schemas.Ending)
    @blp.response(200, schemas.InterventionOut)
    @blp.doc(parameters=[IF_MATCH_DOC])
    @problems(blp, *TRANSITION_ERRORS)
    def post(self, data: dict[str, Any], intervention_id: str) -> Answer:
        """End the intervention on `end_date`; enrolments still open end with it."""
        command = commands.EndIntervention(
            intervention_id, expected_version(), data["end_date"], data["reason"]
        )
        return _transition("end", intervention_id, command, handlers.end_intervention)


@blp.route("/<intervention_id>/price-amendments")
class PriceAmendments(MethodView):
    @idempotent
    @blp.arguments(schemas.PriceAmendment)
    @blp.response(200, schemas.InterventionOut)
    @blp.doc(parameters=[IF_MATCH_DOC])
    @problems(blp, *TRANSITION_ERRORS)
    def post(self, data: dict[str, Any], intervention_id: str) -> Answer:
        """A new unit price from `effective_from`; earlier days keep the earlier price."""
        command = commands.AmendPrice(
            intervention_id, expected_version(), data["effective_from"], data["unit_price_pence"]
        )
        return _transition("amend_price", intervention_id, command, handlers.amend_price)


@blp.route("/<intervention_id>/corrections")
class Corrections(MethodView):
    @idempotent
    @blp.arguments(schemas.InterventionCorrection)
    @blp.response(200, schemas.InterventionOut)
    @blp.doc(parameters=[IF_MATCH_DOC])
    @problems(blp, *TRANSITION_ERRORS)
    def post(self, data: dict[str, Any], intervention_id: str) -> Answer:
        """Correct the title, capacity, targeted indicators or budget where they were recorded
        wrongly: they are put right from the start (raising `intervention_corrected`), unlike a
        price amendment, which changes the price from a date."""
        reason = data.pop("reason")
        command = commands.CorrectIntervention(
            intervention_id, expected_version(), Correction(**data), reason
        )
        return _transition("correct", intervention_id, command, handlers.correct_intervention)


@blp.route("/<intervention_id>/enrolments")
class Enrolments(MethodView):
    @idempotent
    @blp.arguments(schemas.EnrolmentCreate)
    @blp.response(201, schemas.EnrolmentOut)
    @problems(blp, 400, 403, 404, 409)
    def post(
        self, data: dict[str, Any], intervention_id: str
    ) -> tuple[Enrolment, int, dict[str, str]]:
        """Enrol a child (by pseudonymous reference) from `start_date`, if a place is free on
        every day from then to the intervention's end. No If-Match: enrolling does not change
        the intervention's version."""
        caller = commissioner()
        enrolment = handlers.enrol_child(
            commands.EnrolChild(intervention_id, data["child_ref"], data["start_date"]),
            interventions=app_services().interventions,
        )
        audit(caller, "enrolment.enrol", enrolment.enrolment_id)
        return (
            enrolment,
            201,
            {"ETag": etag(enrolment.version), "Location": f"/enrolments/{enrolment.enrolment_id}"},
        )


@blp.route("/<intervention_id>/enrolments/batch")
class EnrolmentBatch(MethodView):
    @idempotent
    @blp.arguments(schemas.EnrolmentBatch)
    @blp.response(200, schemas.EnrolmentBatchResult)
    @problems(blp, 400, 403, 404, 409)
    def post(self, data: dict[str, Any], intervention_id: str) -> dict[str, Any]:
        """Enrol up to 500 children in one change, each from its `start_date` and, where it is
        known (history from a council's records), to its `end_date`. Each row is enrolled or
        refused on its own, with the field and the reason."""
        caller = commissioner()
        rows = tuple(commands.NewEnrolment(**row) for row in data["enrolments"])
        results = handlers.enrol_children(
            commands.EnrolChildren(intervention_id, rows),
            interventions=app_services().interventions,
        )
        enrolled = [r for r in results if isinstance(r, Enrolment)]
        audit(caller, "enrolment.enrol", intervention_id, enrolled=len(enrolled), rows=len(rows))
        return {
            "enrolled": len(enrolled),
            "refused": len(results) - len(enrolled),
            "results": [_row_result(index, result) for index, result in enumerate(results)],
        }


def _row_result(index: int, result: Enrolment | Refused) -> dict[str, Any]:
    if isinstance(result, Enrolment):
        return {"index": index, "status": "enrolled", "enrolment": result, "errors": []}
    error = {"field": result.field or "(row)", "reason": result.reason}
    return {"index": index, "status": "refused", "enrolment": None, "errors": [error]}
