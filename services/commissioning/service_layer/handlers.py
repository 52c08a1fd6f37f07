"""One handler per command: load, apply the domain rule, store state and events together.

Changes go through a compare-and-set loop (`_change_intervention`): read the latest revision,
check the caller's If-Match against the *current* version, apply the change, store it as the
next revision. If another writer stored that revision first, read again and re-check, so
capacity and overlap rules always judge the latest state; a caller whose If-Match is no longer
current gets StaleVersion (412). The first try starts from the state this process remembers,
without reading: storing the next revision succeeds only if that state was the latest, and a
refusal is only given once judged on a state read from the store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from services.commissioning.adapters.repository import (
    AbstractInterventionRepository,
    AbstractProviderRepository,
)
from services.commissioning.domain import commands
from services.commissioning.domain.errors import (
    Conflict,
    Invalid,
    NotFound,
    Refused,
    StaleVersion,
)
from services.commissioning.domain.model import (
    Enrolment,
    Intervention,
    PricePeriod,
    Provider,
    intervention_of,
)
from services.commissioning.service_layer.events import (
    enrolment_event,
    intervention_event,
    provider_event,
)
from shared import ids
from shared.events.catalogue import commissioning as catalogue
from shared.events.envelope import Envelope

T = TypeVar("T")
MAX_ATTEMPTS = 10


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.UUID(ids.new_id()).hex[:16]}"


def _stored_by_first_attempt(stored: T | None) -> T:
    """What a redone request's first attempt created under the same id (shared/ids.py)."""
    assert stored is not None  # its id was taken a moment ago, and nothing is ever deleted
    return stored


def _check_version(current: int, expected: int) -> None:
    if current != expected:
        raise StaleVersion(current)


def register_provider(
    cmd: commands.RegisterProvider, *, providers: AbstractProviderRepository
) -> Provider:
    provider = Provider(new_id("prv"), cmd.name, cmd.kind, cmd.ofsted_urn)
    if not providers.add(provider, [provider_event(catalogue.PROVIDER_REGISTERED, provider)]):
        return _stored_by_first_attempt(providers.get(provider.provider_id))
    return provider


def update_provider(
    cmd: commands.UpdateProvider, *, providers: AbstractProviderRepository
) -> Provider:
    provider = providers.get(cmd.provider_id)
    if provider is None:
        raise NotFound(f"no provider {cmd.provider_id}")
    _check_version(provider.version, cmd.expected_version)
    provider.update(**cmd.changes)
    event = provider_event(catalogue.PROVIDER_UPDATED, provider)
    if not providers.save(provider, [event]):
        current = providers.get(cmd.provider_id)
        raise StaleVersion(current.version if current else cmd.expected_version)
    return provider


def commission_intervention(
    cmd: commands.CommissionIntervention,
    *,
    providers: AbstractProviderRepository,
    interventions: AbstractInterventionRepository,
) -> Intervention:
    provider = providers.get(cmd.provider_id)
    if provider is None:
        raise Invalid(f"no provider {cmd.provider_id} is registered", field="provider_id")
    if provider.status != "active":
        raise Conflict(f"provider {cmd.provider_id} is {provider.status}", field="provider_id")
    intervention = Intervention(
        intervention_id=new_id("int"),
        provider_id=cmd.provider_id,
        title=cmd.title,
        category=cmd.category,
        pricing_model=cmd.pricing_model,
        prices=[PricePeriod(cmd.start_date, cmd.unit_price_pence)],
        capacity=cmd.capacity,
        start_date=cmd.start_date,
        end_date=cmd.end_date,
        budget_pence=cmd.budget_pence,
        target_indicators=list(cmd.target_indicators),
    )
    event = intervention_event(catalogue.INTERVENTION_COMMISSIONED, intervention, cmd.start_date)
    if not interventions.add(intervention, [event]):
        return _stored_by_first_attempt(interventions.get(intervention.intervention_id))
    return intervention


def _change_intervention(
    interventions: AbstractInterventionRepository,
    intervention_id: str,
    change: Callable[[Intervention], tuple[T, list[Envelope]]],
) -> T:
    fresh = False
    for _ in range(MAX_ATTEMPTS):
        read = interventions.get if fresh else interventions.remembered
        intervention = read(intervention_id)
        if intervention is None:
            raise NotFound(f"no intervention {intervention_id}")
        try:
            result, events = change(intervention)
        except Refused:
            if fresh:
                raise
            fresh = True
            continue
        if interventions.save(intervention, events):
            return result
        fresh = True
    raise Conflict("the intervention is being changed by others right now; try again")


def activate_intervention(
    cmd: commands.ActivateIntervention, *, interventions: AbstractInterventionRepository
) -> Intervention:
    def change(intervention: Intervention) -> tuple[Intervention, list[Envelope]]:
        _check_version(intervention.version, cmd.expected_version)
        intervention.activate()
        event = intervention_event(
            catalogue.INTERVENTION_ACTIVATED, intervention, cmd.effective_date
        )
        return intervention, [event]

    return _change_intervention(interventions, cmd.intervention_id, change)


def suspend_intervention(
    cmd: commands.SuspendIntervention, *, interventions: AbstractInterventionRepository
) -> Intervention:
    def change(intervention: Intervention) -> tuple[Intervention, list[Envelope]]:
        _check_version(intervention.version, cmd.expected_version)
        intervention.suspend()
        event = intervention_event(
            catalogue.INTERVENTION_SUSPENDED, intervention, cmd.effective_date, reason=cmd.reason
        )
        return intervention, [event]

    return _change_intervention(interventions, cmd.intervention_id, change)


def resume_intervention(
    cmd: commands.ResumeIntervention, *, interventions: AbstractInterventionRepository
) -> Intervention:
    def change(intervention: Intervention) -> tuple[Intervention, list[Envelope]]:
        _check_version(intervention.version, cmd.expected_version)
        intervention.resume()
        event = intervention_event(catalogue.INTERVENTION_RESUMED, intervention, cmd.effective_date)
        return intervention, [event]

    return _change_intervention(interventions, cmd.intervention_id, change)


def end_intervention(
    cmd: commands.EndIntervention, *, interventions: AbstractInterventionRepository
) -> Intervention:
    def change(intervention: Intervention) -> tuple[Intervention, list[Envelope]]:
        _check_version(intervention.version, cmd.expected_version)
        ended = intervention.end(cmd.end_date, cmd.reason)
        events = [
            intervention_event(
                catalogue.INTERVENTION_ENDED, intervention, cmd.end_date, reason=cmd.reason
            ),
            *(enrolment_event(catalogue.ENROLMENT_ENDED, e) for e in ended),
        ]
        return intervention, events

    return _change_intervention(interventions, cmd.intervention_id, change)


def amend_price(
    cmd: commands.AmendPrice, *, interventions: AbstractInterventionRepository
) -> Intervention:
    def change(intervention: Intervention) -> tuple[Intervention, list[Envelope]]:
        _check_version(intervention.version, cmd.expected_version)
        intervention.amend_price(cmd.effective_from, cmd.unit_price_pence)
        event = intervention_event(
            catalogue.INTERVENTION_AMENDED,
            intervention,
            cmd.effective_from,
            unit_price_pence=cmd.unit_price_pence,
        )
        return intervention, [event]

    return _change_intervention(interventions, cmd.intervention_id, change)


def correct_intervention(
    cmd: commands.CorrectIntervention, *, interventions: AbstractInterventionRepository
) -> Intervention:
    """A correction is true from the intervention's start, so that is its effective date."""

    def change(intervention: Intervention) -> tuple[Intervention, list[Envelope]]:
        _check_version(intervention.version, cmd.expected_version)
        corrected = intervention.correct(cmd.correction)
        event = intervention_event(
            catalogue.INTERVENTION_CORRECTED,
            intervention,
            intervention.start_date,
            corrected=corrected,
            reason=cmd.reason,
        )
        return intervention, [event]

    return _change_intervention(interventions, cmd.intervention_id, change)


def enrol_child(
    cmd: commands.EnrolChild, *, interventions: AbstractInterventionRepository
) -> Enrolment:
    def change(intervention: Intervention) -> tuple[Enrolment, list[Envelope]]:
        enrolment = intervention.enrol(cmd.child_ref, cmd.start_date)
        return enrolment, [enrolment_event(catalogue.CHILD_ENROLLED, enrolment)]

    return _change_intervention(interventions, cmd.intervention_id, change)


def enrol_children(
    cmd: commands.EnrolChildren, *, interventions: AbstractInterventionRepository
) -> list[Enrolment | Refused]:
    """Each row enrolled (and ended, when its end is given) or refused, in one stored change:
    a council bringing in its history makes one write per intervention, not one per child."""

    def change(intervention: Intervention) -> tuple[list[Enrolment | Refused], list[Envelope]]:
        results: list[Enrolment | Refused] = []
        events: list[Envelope] = []
        for row in cmd.rows:
            try:
                states = intervention.enrol_until(
                    row.child_ref, row.start_date, row.end_date, row.end_reason
                )
            except Refused as refusal:
                results.append(refusal)
                continue
            types = (catalogue.CHILD_ENROLLED, catalogue.ENROLMENT_ENDED)
            events += [enrolment_event(t, state) for t, state in zip(types, states, strict=False)]
            results.append(states[-1])
        return results, events

    return _change_intervention(interventions, cmd.intervention_id, change)


def end_enrolment(
    cmd: commands.EndEnrolment, *, interventions: AbstractInterventionRepository
) -> Enrolment:
    def change(intervention: Intervention) -> tuple[Enrolment, list[Envelope]]:
        current = intervention.enrolment(cmd.enrolment_id)
        if current is None:
            raise NotFound(f"no enrolment {cmd.enrolment_id}")
        _check_version(current.version, cmd.expected_version)
        intervention.end_enrolment(current, cmd.end_date, cmd.reason)
        return current, [enrolment_event(catalogue.ENROLMENT_ENDED, current)]

    try:
        return _change_intervention(interventions, intervention_of(cmd.enrolment_id), change)
    except NotFound:
        raise NotFound(f"no enrolment {cmd.enrolment_id}") from None
