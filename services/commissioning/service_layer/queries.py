"""Reads, with what the caller may see applied: `scope` is a provider id (a provider sees only
its own records; anything else is reported as not found, so no provider learns that another's
records exist) or None for officers, finance, auditors and admins.

Lists filter in Python after one scan: FerretDB indexes only `_id`, and a council has hundreds of
interventions, not millions.
"""

from __future__ import annotations

from datetime import date

from services.commissioning.adapters.repository import (
    AbstractInterventionRepository,
    AbstractProviderRepository,
)
from services.commissioning.domain.errors import NotFound
from services.commissioning.domain.model import (
    Enrolment,
    Intervention,
    Provider,
    intervention_of,
)


def _visible(provider_id: str, scope: str | None) -> bool:
    return scope is None or provider_id == scope


def get_provider(
    provider_id: str, *, scope: str | None, providers: AbstractProviderRepository
) -> Provider:
    provider = providers.get(provider_id)
    if provider is None or not _visible(provider.provider_id, scope):
        raise NotFound(f"no provider {provider_id}")
    return provider


def list_providers(
    *,
    scope: str | None,
    providers: AbstractProviderRepository,
    kind: str | None = None,
    status: str | None = None,
) -> list[Provider]:
    found = [
        p
        for p in providers.list()
        if _visible(p.provider_id, scope) and kind in (None, p.kind) and status in (None, p.status)
    ]
    return sorted(found, key=lambda p: (p.name, p.provider_id))


def get_intervention(
    intervention_id: str, *, scope: str | None, interventions: AbstractInterventionRepository
) -> Intervention:
    intervention = interventions.get(intervention_id)
    if intervention is None or not _visible(intervention.provider_id, scope):
        raise NotFound(f"no intervention {intervention_id}")
    return intervention


def running_on(intervention: Intervention, day: date) -> bool:
    """Commissioned (not a draft) and within its dates on `day`, even if since ended."""
    return (
        intervention.status != "draft" and intervention.start_date <= day <= intervention.end_date
    )


def list_interventions(
    *,
    scope: str | None,
    interventions: AbstractInterventionRepository,
    provider_id: str | None = None,
    category: str | None = None,
    status: str | None = None,
    active_on: date | None = None,
) -> list[Intervention]:
    found = [
        i
        for i in interventions.list()
        if _visible(i.provider_id, scope)
        and provider_id in (None, i.provider_id)
        and category in (None, i.category)
        and status in (None, i.status)
        and (active_on is None or running_on(i, active_on))
    ]
    return sorted(found, key=lambda i: (i.start_date, i.intervention_id))


def get_enrolment(
    enrolment_id: str, *, scope: str | None, interventions: AbstractInterventionRepository
) -> Enrolment:
    intervention = interventions.get(intervention_of(enrolment_id))
    enrolment = intervention.enrolment(enrolment_id) if intervention else None
    if enrolment is None or not _visible(enrolment.provider_id, scope):
        raise NotFound(f"no enrolment {enrolment_id}")
    return enrolment


def list_enrolments(
    *,
    scope: str | None,
    interventions: AbstractInterventionRepository,
    intervention_id: str | None = None,
    child_ref: str | None = None,
    status: str | None = None,
) -> list[Enrolment]:
    if intervention_id is None:
        candidates = interventions.list()
    else:
        one = interventions.get(intervention_id)
        candidates = [one] if one else []
    found = [
        e
        for intervention in candidates
        if _visible(intervention.provider_id, scope)
        for e in intervention.enrolments
        if child_ref in (None, e.child_ref) and status in (None, e.status)
    ]
    return sorted(found, key=lambda e: (e.start_date, e.enrolment_id))
