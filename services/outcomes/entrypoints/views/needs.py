"""Needs assessments: `/needs-assessments`.

Scores 0-3 on every need domain give a need level (low, medium, high, complex) by the rule in
`services/outcomes/domain/needs.py`: complex when three or more domains score 3 or the total is
20 or more; high when any domain scores 3 or the total is 13 or more; medium from a total of 6.
Posted by a provider for a child it holds on the assessment date, or by a commissioner.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from services.outcomes.entrypoints.schemas import NeedsAssessmentInSchema, NeedsAssessmentSchema
from services.outcomes.entrypoints.views import outcomes
from services.outcomes.service_layer import needs as handlers
from services.outcomes.service_layer.commands import AssessNeeds
from shared.auth import ADMIN, AUDITOR, COMMISSIONER, PROVIDER
from shared.http.blueprint import Blueprint
from shared.http.idempotency import idempotent
from shared.http.security import require_role

blp = Blueprint("needs", __name__, url_prefix="/needs-assessments", description=__doc__)


@blp.route("")
class NeedsAssessments(MethodView):
    @idempotent
    @blp.arguments(NeedsAssessmentInSchema)
    @blp.response(201, NeedsAssessmentSchema)
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Record a needs assessment (provider for a child it holds, or commissioner)."""
        actor = require_role(PROVIDER, COMMISSIONER)
        assessment = handlers.assess_needs(AssessNeeds(actor=actor, **data), ctx=outcomes())
        location = f"/needs-assessments/{assessment.assessment_id}"
        return asdict(assessment), 201, {"Location": location}


@blp.route("/<assessment_id>")
class NeedsAssessmentItem(MethodView):
    @blp.response(200, NeedsAssessmentSchema)
    def get(self, assessment_id: str) -> dict[str, Any]:
        """One needs assessment; a provider sees only its own."""
        actor = require_role(PROVIDER, COMMISSIONER, ADMIN, AUDITOR)
        return asdict(handlers.get_assessment(actor, assessment_id, ctx=outcomes()))
