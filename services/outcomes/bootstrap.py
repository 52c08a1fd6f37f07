"""Wires the real adapters into the handlers' context, for the API and the consumer alike."""

from __future__ import annotations

from datetime import UTC, datetime

from services.outcomes.adapters.enrolments import MongoEnrolments
from services.outcomes.adapters.indicators import MongoIndicators
from services.outcomes.adapters.needs import MongoNeedsAssessments
from services.outcomes.adapters.observations import MongoObservations
from services.outcomes.adapters.provider_interventions import MongoProviderInterventions
from services.outcomes.adapters.stories import MongoCurveStories
from services.outcomes.domain.framework import DEFAULT_FRAMEWORK
from services.outcomes.service_layer import events
from services.outcomes.service_layer.context import Outcomes
from shared.events.catalogue.outcomes import INDICATOR_ADDED
from shared.runtime import ServiceRuntime


def build(runtime: ServiceRuntime) -> Outcomes:
    """The context over `runtime`'s database; connects nothing until first used."""
    db, extras = runtime.db, runtime.settings.extras
    return Outcomes(
        indicators=MongoIndicators(
            db,
            runtime.outbox,
            defaults=DEFAULT_FRAMEWORK,
            added_event=lambda indicator: events.indicator_event(INDICATOR_ADDED, indicator),
        ),
        observations=MongoObservations(db, runtime.outbox),
        enrolments=MongoEnrolments(db),
        interventions=MongoProviderInterventions(db),
        needs=MongoNeedsAssessments(db, runtime.outbox),
        stories=MongoCurveStories(db),
        audit=runtime.audit,
        grace_days=extras["enrolment_grace_days"],
        baseline_days=extras["baseline_days"],
        guardrail=extras["indicator_guardrail"],
        batch_limit=extras["batch_limit"],
        today=lambda: datetime.now(UTC).date(),
    )
