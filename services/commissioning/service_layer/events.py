"""The events each change raises: envelopes carrying the full snapshot of their aggregate."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.commissioning.domain.model import Enrolment, Intervention, Provider
from services.commissioning.domain.snapshots import (
    enrolment_snapshot,
    intervention_snapshot,
    provider_snapshot,
)
from shared.events.envelope import Envelope
from shared.logs import current_correlation_id

SOURCE = "acorn/commissioning"


def _envelope(type_: str, subject: str, data: dict[str, Any]) -> Envelope:
    # partition key: the default, the subject, i.e. the aggregate id
    return Envelope(
        type=type_,
        source=SOURCE,
        subject=subject,
        data=data,
        correlationid=current_correlation_id(),
    )


def provider_event(type_: str, provider: Provider) -> Envelope:
    return _envelope(type_, provider.provider_id, provider_snapshot(provider))


def intervention_event(
    type_: str, intervention: Intervention, effective_date: date, **extra: Any
) -> Envelope:
    data = {
        "intervention": intervention_snapshot(intervention),
        "effective_date": effective_date.isoformat(),
        **extra,
    }
    return _envelope(type_, intervention.intervention_id, data)


def enrolment_event(type_: str, enrolment: Enrolment) -> Envelope:
    return _envelope(type_, enrolment.enrolment_id, {"enrolment": enrolment_snapshot(enrolment)})
