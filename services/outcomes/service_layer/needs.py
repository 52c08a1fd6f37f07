"""Use case: record a needs assessment (a provider for a child it holds, or a commissioner)."""

from __future__ import annotations

from services.outcomes.domain.enrolments import holds_child_on
from services.outcomes.domain.needs import NeedsAssessment, need_level, score_problems
from services.outcomes.service_layer import events
from services.outcomes.service_layer.commands import AssessNeeds
from services.outcomes.service_layer.context import Outcomes
from services.outcomes.service_layer.errors import NOT_HELD, Forbidden, Invalid, NotFound
from shared.auth import COMMISSIONER, PROVIDER, Caller
from shared.ids import new_id


def assess_needs(command: AssessNeeds, *, ctx: Outcomes) -> NeedsAssessment:
    problems = score_problems(command.scores)
    if command.assessed_on > ctx.today():
        problems["assessed_on"] = "must not be in the future"
    if problems:
        raise Invalid(problems)
    actor = command.actor
    provider_id = None
    if not actor.has_any(COMMISSIONER):
        provider_id = actor.provider_id or ""
        periods = ctx.enrolments.periods(provider_id, command.child_ref)
        if not holds_child_on(periods, command.assessed_on, grace_days=ctx.grace_days):
            ctx.audit.record(actor, "needs.assess", command.child_ref, outcome="refused")
            raise Forbidden(NOT_HELD)
    assessment = NeedsAssessment(
        assessment_id=new_id(),
        child_ref=command.child_ref,
        assessed_on=command.assessed_on,
        scores=dict(command.scores),
        need_level=need_level(command.scores),
        assessed_by_role=COMMISSIONER if provider_id is None else PROVIDER,
        provider_id=provider_id,
    )
    if not ctx.needs.add(assessment, events.needs_assessed(assessment)):
        stored = ctx.needs.get(assessment.assessment_id)
        assert stored is not None  # its id was taken a moment ago, and nothing is deleted
        return stored
    ctx.audit.record(
        actor, "needs.assess", command.child_ref, detail={"assessment_id": assessment.assessment_id}
    )
    return assessment


def get_assessment(actor: Caller, assessment_id: str, *, ctx: Outcomes) -> NeedsAssessment:
    assessment = ctx.needs.get(assessment_id)
    if assessment is None or (
        actor.is_provider_only and assessment.provider_id != actor.provider_id
    ):
        raise NotFound(f"no needs assessment {assessment_id}")
    return assessment
