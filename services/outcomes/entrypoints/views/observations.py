"""Outcome observations: `/observations` and `/children/<ref>/observations`.

The council (commissioner role) may post readings from its own systems for any child, naming the
system in `source_system`; they are recorded with source `council`. A provider may post for, and
read, only the children it holds: an enrolment on one of its interventions covering the
observed-on date, with `ACORN_OUTCOMES_ENROLMENT_GRACE_DAYS` (default 30) after the enrolment
ends. A refusal answers 403 with the same message whether the child is unknown or someone
else's. The batch endpoint takes up to `ACORN_OUTCOMES_BATCH_LIMIT` (default 1,000) observations
and answers 200 with one result per row (`recorded`, `invalid` or `forbidden`, with the failing
fields), so a provider resends only the failed rows; a row repeating an earlier one exactly is
`duplicate`, recorded once.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from marshmallow import ValidationError

from services.outcomes.domain.observations import Observation
from services.outcomes.entrypoints.schemas import (
    BatchResultSchema,
    ChildObservationArgs,
    CorrectionInSchema,
    ObservationBatchInSchema,
    ObservationInSchema,
    ObservationSchema,
    WithdrawalInSchema,
)
from services.outcomes.entrypoints.views import outcomes
from services.outcomes.service_layer import observations as handlers
from services.outcomes.service_layer.commands import (
    CorrectObservation,
    ObservationDraft,
    RecordObservations,
    WithdrawObservation,
)
from services.outcomes.service_layer.errors import Forbidden, Invalid
from shared import fastload
from shared.auth import ADMIN, AUDITOR, COMMISSIONER, PROVIDER
from shared.http.blueprint import Blueprint
from shared.http.idempotency import idempotent
from shared.http.paging import PageArgs, page_schema, paginate
from shared.http.problems import field_errors
from shared.http.security import require_role

blp = Blueprint("observations", __name__, url_prefix="/", description=__doc__)
READERS = (PROVIDER, COMMISSIONER, ADMIN, AUDITOR)
AUTHORS = (PROVIDER, COMMISSIONER)
_row_schema = ObservationInSchema()


class ChildObservationPageArgs(ChildObservationArgs, PageArgs):
    pass


def parse_row(row: Any) -> ObservationDraft | dict[str, str]:
    if not isinstance(row, dict):
        return {"(row)": "must be an object"}
    try:
        return ObservationDraft(**fastload.load(_row_schema, row))
    except ValidationError as error:
        return {e["field"]: e["reason"] for e in field_errors(error.messages)}


def errors_of(problems: dict[str, str]) -> list[dict[str, str]]:
    return [{"field": field, "reason": reason} for field, reason in problems.items()]


def _view(observation: Observation) -> dict[str, Any]:
    return asdict(observation)


@blp.route("observations")
class Observations(MethodView):
    @idempotent
    @blp.arguments(ObservationInSchema)
    @blp.response(201, ObservationSchema)
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Record one observation: for a child you hold (provider), or any child from a council
        system (commissioner, with `source_system`)."""
        actor = require_role(*AUTHORS)
        ctx = outcomes()
        command = RecordObservations(actor=actor, rows=[ObservationDraft(**data)])
        [result] = handlers.record_observations(command, ctx=ctx)
        if result.status == handlers.FORBIDDEN:
            raise Forbidden(result.errors["child_ref"])
        if result.status == handlers.INVALID:
            raise Invalid(result.errors)
        observation = handlers.get_observation(actor, result.observation_id or "", ctx=ctx)
        return _view(observation), 201, {"Location": f"/observations/{result.observation_id}"}


@blp.route("observations/batch")
class ObservationBatch(MethodView):
    @idempotent
    @blp.arguments(ObservationBatchInSchema)
    @blp.response(200, BatchResultSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Record up to 1,000 observations; each row succeeds or fails on its own."""
        actor = require_role(*AUTHORS)
        ctx = outcomes()
        handlers.check_batch_size(len(data["observations"]), ctx=ctx)
        rows = [parse_row(row) for row in data["observations"]]
        results = handlers.record_observations(RecordObservations(actor=actor, rows=rows), ctx=ctx)
        recorded = sum(1 for r in results if r.status == handlers.RECORDED)
        refused = sum(1 for r in results if r.status in (handlers.INVALID, handlers.FORBIDDEN))
        return {
            "recorded": recorded,
            "refused": refused,
            "results": [
                {
                    "index": r.index,
                    "status": r.status,
                    "observation_id": r.observation_id,
                    "errors": errors_of(r.errors),
                }
                for r in results
            ],
        }


@blp.route("observations/<observation_id>")
class ObservationItem(MethodView):
    @blp.response(200, ObservationSchema)
    def get(self, observation_id: str) -> dict[str, Any]:
        """One observation; a provider sees only its own."""
        actor = require_role(*READERS)
        return _view(handlers.get_observation(actor, observation_id, ctx=outcomes()))


@blp.route("observations/<observation_id>/correction")
class ObservationCorrection(MethodView):
    @idempotent
    @blp.arguments(CorrectionInSchema)
    @blp.response(201, ObservationSchema)
    def post(
        self, data: dict[str, Any], observation_id: str
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Correct your observation (the council: its own readings): a new observation supersedes
        it; the original stays."""
        actor = require_role(*AUTHORS)
        command = CorrectObservation(actor=actor, observation_id=observation_id, **data)
        correction = handlers.correct_observation(command, ctx=outcomes())
        location = f"/observations/{correction.observation_id}"
        return _view(correction), 201, {"Location": location}


@blp.route("observations/<observation_id>/withdrawal")
class ObservationWithdrawal(MethodView):
    @idempotent
    @blp.arguments(WithdrawalInSchema)
    @blp.response(200, ObservationSchema)
    def post(self, data: dict[str, Any], observation_id: str) -> dict[str, Any]:
        """Withdraw your observation; it stays in history, marked withdrawn."""
        actor = require_role(*AUTHORS)
        command = WithdrawObservation(
            actor=actor, observation_id=observation_id, reason=data["reason"]
        )
        return _view(handlers.withdraw_observation(command, ctx=outcomes()))


@blp.route("children/<child_ref>/observations")
class ChildObservations(MethodView):
    @blp.arguments(ChildObservationPageArgs, location="query")
    @blp.response(200, page_schema(ObservationSchema))
    def get(self, args: dict[str, Any], child_ref: str) -> dict[str, Any]:
        """A child's observations, oldest first (current ones unless `include_history`)."""
        actor = require_role(*READERS)
        found = handlers.child_observations(
            actor,
            child_ref,
            ctx=outcomes(),
            indicator_code=args.get("indicator_code"),
            include_history=args["include_history"],
        )
        return paginate([_view(o) for o in found], args)
