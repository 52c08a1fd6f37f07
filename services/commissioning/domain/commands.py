"""What commissioning officers ask the service to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.commissioning.domain.model import Correction


@dataclass(frozen=True)
class RegisterProvider:
    name: str
    kind: str
    ofsted_urn: str | None = None


@dataclass(frozen=True)
class UpdateProvider:
    provider_id: str
    expected_version: int
    changes: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CommissionIntervention:
    provider_id: str
    title: str
    category: str
    pricing_model: str
    unit_price_pence: int
    capacity: int
    start_date: date
    end_date: date
    budget_pence: int
    target_indicators: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ActivateIntervention:
    intervention_id: str
    expected_version: int
    effective_date: date


@dataclass(frozen=True)
class SuspendIntervention:
    intervention_id: str
    expected_version: int
    effective_date: date
    reason: str | None = None


@dataclass(frozen=True)
class ResumeIntervention:
    intervention_id: str
    expected_version: int
    effective_date: date


@dataclass(frozen=True)
class EndIntervention:
    intervention_id: str
    expected_version: int
    end_date: date
    reason: str | None = None


@dataclass(frozen=True)
class AmendPrice:
    intervention_id: str
    expected_version: int
    effective_from: date
    unit_price_pence: int


@dataclass(frozen=True)
class CorrectIntervention:
    """Put right fields recorded wrongly (an intervention's `Correction`), saying why."""

    intervention_id: str
    expected_version: int
    correction: Correction
    reason: str


@dataclass(frozen=True)
class EnrolChild:
    intervention_id: str
    child_ref: str
    start_date: date


@dataclass(frozen=True)
class NewEnrolment:
    child_ref: str
    start_date: date
    end_date: date | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class EnrolChildren:
    """Many enrolments on one intervention in one change: each row is enrolled or refused."""

    intervention_id: str
    rows: tuple[NewEnrolment, ...]


@dataclass(frozen=True)
class EndEnrolment:
    enrolment_id: str
    expected_version: int
    end_date: date
    reason: str
