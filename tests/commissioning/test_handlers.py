"""Handlers through in-memory repositories: the events each change raises, and lost races."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from services.commissioning.adapters.repository import (
    FakeInterventionRepository,
    FakeProviderRepository,
)
from services.commissioning.domain import commands
from services.commissioning.domain.errors import Conflict, Invalid, NotFound, StaleVersion
from services.commissioning.domain.model import Correction, Intervention
from services.commissioning.service_layer import handlers
from shared.events.catalogue import commissioning as catalogue
from shared.events.envelope import Envelope
from shared.events.registry import validate_payload
from shared.logs import correlation


@pytest.fixture
def providers() -> FakeProviderRepository:
    return FakeProviderRepository()


@pytest.fixture
def interventions() -> FakeInterventionRepository:
    return FakeInterventionRepository()


def commission(
    providers: FakeProviderRepository, interventions: Any, capacity: int = 2
) -> Intervention:
    provider = handlers.register_provider(
        commands.RegisterProvider("Oak Family Support", "voluntary"), providers=providers
    )
    return handlers.commission_intervention(
        commands.CommissionIntervention(
            provider_id=provider.provider_id,
            title="Parenting programme",
            category="family_support",
            pricing_model="per_session",
            unit_price_pence=4_500,
            capacity=capacity,
            start_date=date(2025, 1, 1),
            end_date=date(2025, 12, 31),
            budget_pence=900_000,
            target_indicators=["school_attendance"],
        ),
        providers=providers,
        interventions=interventions,
    )


def activate(interventions: Any, intervention: Intervention) -> Intervention:
    return handlers.activate_intervention(
        commands.ActivateIntervention(
            intervention.intervention_id, intervention.version, date(2025, 1, 1)
        ),
        interventions=interventions,
    )


def assert_valid(event: Envelope) -> None:
    validate_payload(event.type, event.dataschemaversion, event.data, strict=True)
    assert event.source == "acorn/commissioning"
    assert event.partitionkey == event.subject


def test_commissioning_raises_one_event_with_the_full_snapshot(
    providers: FakeProviderRepository, interventions: FakeInterventionRepository
) -> None:
    with correlation("corr-42"):
        intervention = commission(providers, interventions)
    [registered] = providers.events
    [commissioned] = interventions.events
    for event in (registered, commissioned):
        assert_valid(event)
        assert event.correlationid == "corr-42"
    assert registered.type == catalogue.PROVIDER_REGISTERED
    assert commissioned.type == catalogue.INTERVENTION_COMMISSIONED
    assert commissioned.subject == intervention.intervention_id
    assert commissioned.data["effective_date"] == "2025-01-01"
    assert commissioned.data["intervention"]["prices"] == [
        {"effective_from": "2025-01-01", "unit_price_pence": 4_500}
    ]
    assert commissioned.data["intervention"]["status"] == "draft"


def commission_for(provider_id: str, providers: Any, interventions: Any) -> Intervention:
    return handlers.commission_intervention(
        commands.CommissionIntervention(
            provider_id=provider_id,
            title="Short breaks",
            category="send_support",
            pricing_model="per_child_day",
            unit_price_pence=1,
            capacity=1,
            start_date=date(2025, 1, 1),
            end_date=date(2025, 1, 2),
            budget_pence=1,
        ),
        providers=providers,
        interventions=interventions,
    )


def test_an_intervention_needs_a_registered_active_provider(
    providers: FakeProviderRepository, interventions: FakeInterventionRepository
) -> None:
    provider_id = commission(providers, interventions).provider_id
    handlers.update_provider(
        commands.UpdateProvider(provider_id, 1, {"status": "inactive"}), providers=providers
    )
    with pytest.raises(Conflict, match="inactive") as inactive:
        commission_for(provider_id, providers, interventions)
    assert inactive.value.field == "provider_id"
    with pytest.raises(Invalid) as unknown:
        commission_for("prv-nobody", providers, interventions)
    assert unknown.value.field == "provider_id"
    assert len(interventions.interventions) == 1


def test_a_stale_version_is_refused_and_nothing_is_written(
    providers: FakeProviderRepository, interventions: FakeInterventionRepository
) -> None:
    intervention = activate(interventions, commission(providers, interventions))
    with pytest.raises(StaleVersion) as stale:
        handlers.suspend_intervention(
            commands.SuspendIntervention(intervention.intervention_id, 1, date(2025, 2, 1)),
            interventions=interventions,
        )
    assert stale.value.current_version == 2
    assert interventions.interventions[intervention.intervention_id].status == "active"
    assert [e.type for e in interventions.events][-1] == catalogue.INTERVENTION_ACTIVATED


def test_amending_a_price_raises_amended_with_the_new_price_and_its_date(
    providers: FakeProviderRepository, interventions: FakeInterventionRepository
) -> None:
    intervention = activate(interventions, commission(providers, interventions))
    amended = handlers.amend_price(
        commands.AmendPrice(intervention.intervention_id, 2, date(2025, 7, 1), 5_000),
        interventions=interventions,
    )
    event = interventions.events[-1]
    assert_valid(event)
    assert event.type == catalogue.INTERVENTION_AMENDED
    assert (event.data["effective_date"], event.data["unit_price_pence"]) == ("2025-07-01", 5_000)
    assert event.data["intervention"]["version"] == amended.version == 3


def test_ending_an_intervention_raises_ended_and_one_event_per_enrolment_it_closes(
    providers: FakeProviderRepository, interventions: FakeInterventionRepository
) -> None:
    intervention = activate(interventions, commission(providers, interventions))
    for child in ("child-a-1", "child-b-1"):
        handlers.enrol_child(
            commands.EnrolChild(intervention.intervention_id, child, date(2025, 3, 1)),
            interventions=interventions,
        )
    handlers.end_intervention(
        commands.EndIntervention(intervention.intervention_id, 2, date(2025, 8, 31), "retendered"),
        interventions=interventions,
    )
    last = interventions.events[-3:]
    for event in last:
        assert_valid(event)
    assert [e.type for e in last] == [
        catalogue.INTERVENTION_ENDED,
        catalogue.ENROLMENT_ENDED,
        catalogue.ENROLMENT_ENDED,
    ]
    assert last[0].data["reason"] == "retendered"
    assert {e.data["enrolment"]["end_date"] for e in last[1:]} == {"2025-08-31"}
    assert [e.subject for e in last[1:]] == [
        f"{intervention.intervention_id}:e1",
        f"{intervention.intervention_id}:e2",
    ]


def test_a_correction_raises_corrected_with_the_fields_it_put_right_from_the_start(
    providers: FakeProviderRepository, interventions: FakeInterventionRepository
) -> None:
    intervention = activate(interventions, commission(providers, interventions))
    corrected = handlers.correct_intervention(
        commands.CorrectIntervention(
            intervention.intervention_id,
            2,
            Correction(
                title="Parenting programme (Incredible Years)",
                capacity=2,  # as it was: not named as corrected
                target_indicators=["school_attendance", "sdq_total_difficulties"],
                budget_pence=1_200_000,
            ),
            "the contract's schedule was misread",
        ),
        interventions=interventions,
    )
    assert (corrected.version, corrected.budget_pence, corrected.capacity) == (3, 1_200_000, 2)
    event = interventions.events[-1]
    assert_valid(event)
    assert event.type == catalogue.INTERVENTION_CORRECTED
    assert event.data["corrected"] == ["title", "target_indicators", "budget_pence"]
    assert event.data["effective_date"] == "2025-01-01"
    assert event.data["reason"] == "the contract's schedule was misread"
    assert event.data["intervention"]["target_indicators"] == [
        "school_attendance",
        "sdq_total_difficulties",
    ]


def test_a_correction_that_changes_nothing_or_undercuts_enrolled_children_is_refused(
    providers: FakeProviderRepository, interventions: FakeInterventionRepository
) -> None:
    intervention = activate(interventions, commission(providers, interventions))
    for child in ("child-a-1", "child-b-1"):
        handlers.enrol_child(
            commands.EnrolChild(intervention.intervention_id, child, date(2025, 3, 1)),
            interventions=interventions,
        )
    before = len(interventions.events)
    for correction, refusal in [
        (Correction(capacity=1), Conflict),
        (Correction(title="Parenting programme"), Invalid),
    ]:
        with pytest.raises(refusal):
            handlers.correct_intervention(
                commands.CorrectIntervention(intervention.intervention_id, 2, correction, "why"),
                interventions=interventions,
            )
    assert len(interventions.events) == before


def test_an_intervention_ended_while_a_draft_is_withdrawn_and_says_so(
    providers: FakeProviderRepository, interventions: FakeInterventionRepository
) -> None:
    draft = commission(providers, interventions)
    handlers.end_intervention(
        commands.EndIntervention(draft.intervention_id, 1, date(2025, 1, 31), "not needed"),
        interventions=interventions,
    )
    assert interventions.events[-1].data["intervention"]["withdrawn"] is True
    active = activate(interventions, commission(providers, interventions))
    handlers.end_intervention(
        commands.EndIntervention(active.intervention_id, 2, date(2025, 1, 31), "retendered"),
        interventions=interventions,
    )
    assert interventions.events[-1].data["intervention"]["withdrawn"] is False


class RacingRepository(FakeInterventionRepository):
    """Another officer enrols a child between this handler's read and its write, once."""

    def __init__(self) -> None:
        super().__init__()
        self.raced = False

    def save(self, intervention: Intervention, events: list[Envelope]) -> bool:
        if not self.raced and intervention.enrolments:
            self.raced = True
            stored = self.interventions[intervention.intervention_id]
            stored.enrol("child-rival-1", date(2025, 2, 1))
            stored.revision += 1
        return super().save(intervention, events)


def test_an_enrolment_that_loses_a_race_rechecks_capacity_and_is_refused(
    providers: FakeProviderRepository,
) -> None:
    interventions = RacingRepository()
    intervention = activate(interventions, commission(providers, interventions, capacity=1))
    with pytest.raises(Conflict, match="capacity"):
        handlers.enrol_child(
            commands.EnrolChild(intervention.intervention_id, "child-late-1", date(2025, 2, 1)),
            interventions=interventions,
        )
    stored = interventions.interventions[intervention.intervention_id]
    assert [e.child_ref for e in stored.enrolments] == ["child-rival-1"]


def test_ending_an_enrolment_checks_its_own_version(
    providers: FakeProviderRepository, interventions: FakeInterventionRepository
) -> None:
    intervention = activate(interventions, commission(providers, interventions))
    enrolment = handlers.enrol_child(
        commands.EnrolChild(intervention.intervention_id, "child-a-1", date(2025, 3, 1)),
        interventions=interventions,
    )
    with pytest.raises(StaleVersion):
        handlers.end_enrolment(
            commands.EndEnrolment(enrolment.enrolment_id, 2, date(2025, 4, 1), "done"),
            interventions=interventions,
        )
    ended = handlers.end_enrolment(
        commands.EndEnrolment(enrolment.enrolment_id, 1, date(2025, 4, 1), "done"),
        interventions=interventions,
    )
    assert (ended.status, ended.version) == ("ended", 2)
    with pytest.raises(NotFound):
        handlers.end_enrolment(
            commands.EndEnrolment(f"{intervention.intervention_id}:e9", 1, date(2025, 4, 1), "x"),
            interventions=interventions,
        )


class RememberingRepository(FakeInterventionRepository):
    """A process that remembers a state some revisions old, and counts its reads."""

    def __init__(self) -> None:
        super().__init__()
        self.old: Intervention | None = None
        self.reads = 0

    def get(self, intervention_id: str) -> Intervention | None:
        self.reads += 1
        return super().get(intervention_id)

    def remembered(self, intervention_id: str) -> Intervention | None:
        return copy.deepcopy(self.old) if self.old else super().get(intervention_id)


def enrol(
    interventions: Any, intervention: Intervention, child: str, start: date = date(2025, 2, 1)
) -> Any:
    return handlers.enrol_child(
        commands.EnrolChild(intervention.intervention_id, child, start),
        interventions=interventions,
    )


def test_a_change_to_the_state_the_process_remembers_reads_nothing(
    providers: FakeProviderRepository,
) -> None:
    interventions = RememberingRepository()
    intervention = activate(interventions, commission(providers, interventions))
    interventions.reads = 0
    assert enrol(interventions, intervention, "child-a-1").enrolment_id.endswith(":e1")
    assert interventions.reads == 0


def test_a_change_to_a_remembered_state_that_is_behind_is_judged_again_on_the_latest(
    providers: FakeProviderRepository,
) -> None:
    interventions = RememberingRepository()
    intervention = activate(interventions, commission(providers, interventions, capacity=1))
    interventions.old = interventions.get(intervention.intervention_id)
    enrol(interventions, intervention, "child-a-1")  # stored; the process still remembers before
    with pytest.raises(Conflict, match="capacity"):
        enrol(interventions, intervention, "child-b-1")
    interventions.old = interventions.get(intervention.intervention_id)  # remembers it full
    handlers.end_enrolment(
        commands.EndEnrolment(f"{intervention.intervention_id}:e1", 1, date(2025, 2, 1), "x"),
        interventions=interventions,
    )
    later = enrol(interventions, intervention, "child-b-1", date(2025, 3, 1))
    assert later.enrolment_id.endswith(":e2")
