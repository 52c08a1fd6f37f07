"""Use cases: keep the projections of commissioning's data up to date from its snapshots: the
enrolments (who may post for which child) and each provider's interventions' target indicators."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.outcomes.domain.enrolments import EnrolmentPeriod
from services.outcomes.service_layer.context import Outcomes


def apply_enrolment_snapshot(enrolment: dict[str, Any], *, ctx: Outcomes) -> bool:
    """Store the snapshot (a `child_enrolled` / `enrolment_ended` payload's `enrolment`) unless
    a same-or-newer version of it is known; True if it changed the projection."""
    end = enrolment.get("end_date")
    period = EnrolmentPeriod(
        enrolment_id=enrolment["enrolment_id"],
        intervention_id=enrolment["intervention_id"],
        start_date=date.fromisoformat(enrolment["start_date"]),
        end_date=date.fromisoformat(end) if end else None,
        version=enrolment["version"],
    )
    return ctx.enrolments.apply(
        provider_id=enrolment["provider_id"], child_ref=enrolment["child_ref"], period=period
    )


def apply_intervention_snapshot(intervention: dict[str, Any], *, ctx: Outcomes) -> bool:
    """Store the intervention's target indicators under its provider (an intervention event's
    `intervention`) unless a same-or-newer version is known; True if it changed the projection."""
    return ctx.interventions.apply(
        provider_id=intervention["provider_id"],
        intervention_id=intervention["intervention_id"],
        target_indicators=intervention["target_indicators"],
        version=intervention["version"],
    )
