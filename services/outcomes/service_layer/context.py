"""What the handlers work with: the service's stores, its audit log, its settings and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from services.outcomes.adapters.enrolments import MongoEnrolments
from services.outcomes.adapters.indicators import MongoIndicators
from services.outcomes.adapters.needs import MongoNeedsAssessments
from services.outcomes.adapters.observations import MongoObservations
from services.outcomes.adapters.provider_interventions import MongoProviderInterventions
from services.outcomes.adapters.stories import MongoCurveStories
from shared.audit import AuditLog


@dataclass
class Outcomes:
    indicators: MongoIndicators
    observations: MongoObservations
    enrolments: MongoEnrolments
    interventions: MongoProviderInterventions
    needs: MongoNeedsAssessments
    stories: MongoCurveStories
    audit: AuditLog
    grace_days: int
    baseline_days: int
    guardrail: int
    batch_limit: int
    today: Callable[[], date]
