"""The envelopes this service publishes (contract: `shared/events/catalogue/outcomes.py`).

Observation and needs events are keyed by `child_ref`, so one child's events keep their order;
indicator events by indicator code.
"""

from __future__ import annotations

from datetime import datetime

from services.outcomes.adapters.indicators import event_payload
from services.outcomes.domain.indicators import Indicator
from services.outcomes.domain.needs import NeedsAssessment
from services.outcomes.domain.observations import Observation
from shared.events.catalogue.outcomes import (
    NEEDS_ASSESSED,
    OBSERVATION_CORRECTED,
    OBSERVATION_RECORDED,
    OBSERVATION_WITHDRAWN,
)
from shared.events.envelope import Envelope
from shared.logs import current_correlation_id

SOURCE = "acorn/outcomes"


def indicator_event(type_: str, indicator: Indicator) -> Envelope:
    return Envelope(
        type=type_,
        source=SOURCE,
        subject=indicator.code,
        data=event_payload(indicator),
        correlationid=current_correlation_id(),
    )


def _child_event(type_: str, subject: str, child_ref: str, data: dict[str, object]) -> Envelope:
    return Envelope(
        type=type_,
        source=SOURCE,
        subject=subject,
        data=data,
        correlationid=current_correlation_id(),
        partitionkey=child_ref,
    )


def _observation_data(observation: Observation) -> dict[str, object]:
    return {
        "observation_id": observation.observation_id,
        "child_ref": observation.child_ref,
        "indicator_code": observation.indicator_code,
        "indicator_version": observation.indicator_version,
        "value": observation.value,
        "observed_on": observation.observed_on.isoformat(),
        "provider_id": observation.provider_id,
        "intervention_id": observation.intervention_id,
        "evidence_ref": observation.evidence_ref,
        "recorded_at": observation.recorded_at.isoformat(),
        "source": observation.source,
        "source_system": observation.source_system,
    }


def observation_recorded(observation: Observation) -> Envelope:
    return _child_event(
        OBSERVATION_RECORDED,
        observation.observation_id,
        observation.child_ref,
        _observation_data(observation),
    )


def observation_corrected(correction: Observation) -> Envelope:
    return _child_event(
        OBSERVATION_CORRECTED,
        correction.observation_id,
        correction.child_ref,
        _observation_data(correction) | {"supersedes": correction.supersedes},
    )


def observation_withdrawn(
    observation: Observation, *, reason: str, withdrawn_at: datetime
) -> Envelope:
    return _child_event(
        OBSERVATION_WITHDRAWN,
        observation.observation_id,
        observation.child_ref,
        {
            "observation_id": observation.observation_id,
            "child_ref": observation.child_ref,
            "indicator_code": observation.indicator_code,
            "provider_id": observation.provider_id,
            "reason": reason,
            "withdrawn_at": withdrawn_at.isoformat(),
        },
    )


def needs_assessed(assessment: NeedsAssessment) -> Envelope:
    return _child_event(
        NEEDS_ASSESSED,
        assessment.assessment_id,
        assessment.child_ref,
        {
            "assessment_id": assessment.assessment_id,
            "child_ref": assessment.child_ref,
            "assessed_on": assessment.assessed_on.isoformat(),
            "scores": dict(assessment.scores),
            "need_level": assessment.need_level,
            "provider_id": assessment.provider_id,
            "assessed_by_role": assessment.assessed_by_role,
        },
    )
