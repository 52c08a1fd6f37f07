"""/enrolments: children on interventions, by pseudonymous reference only."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.commissioning.domain import commands
from services.commissioning.domain.model import Enrolment
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
    "enrolments", __name__, url_prefix="/enrolments", description="Children on interventions."
)

Answer = tuple[Enrolment, int, dict[str, str]]


@blp.route("")
class EnrolmentList(MethodView):
    @blp.arguments(schemas.EnrolmentQuery, location="query")
    @blp.response(200, schemas.EnrolmentPage)
    @problems(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List enrolments by intervention, child or status (a provider sees only its own)."""
        found = queries.list_enrolments(
            scope=reader_scope(),
            interventions=app_services().interventions,
            intervention_id=args.get("intervention_id"),
            child_ref=args.get("child_ref"),
            status=args.get("status"),
        )
        return paginate(found, args)


@blp.route("/<enrolment_id>")
class EnrolmentById(MethodView):
    @blp.response(200, schemas.EnrolmentOut)
    @problems(blp, 403, 404)
    def get(self, enrolment_id: str) -> Answer:
        """Read one enrolment, with its ETag."""
        enrolment = queries.get_enrolment(
            enrolment_id, scope=reader_scope(), interventions=app_services().interventions
        )
        return enrolment, 200, {"ETag": etag(enrolment.version)}


@blp.route("/<enrolment_id>/end")
class EndEnrolment(MethodView):
    @idempotent
    @blp.arguments(schemas.EnrolmentEnding)
    @blp.response(200, schemas.EnrolmentOut)
    @blp.doc(parameters=[IF_MATCH_DOC])
    @problems(blp, 400, 403, 404, 409, 412, 422, 428)
    def post(self, data: dict[str, Any], enrolment_id: str) -> Answer:
        """End an enrolment on `end_date` (its last day) with a reason."""
        caller = commissioner()
        enrolment = handlers.end_enrolment(
            commands.EndEnrolment(
                enrolment_id, expected_version(), data["end_date"], data["reason"]
            ),
            interventions=app_services().interventions,
        )
        audit(caller, "enrolment.end", enrolment_id)
        return enrolment, 200, {"ETag": etag(enrolment.version)}
