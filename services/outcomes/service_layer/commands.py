"""The use cases' inputs: imperative commands, already parsed at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.outcomes.domain.indicators import Indicator
from shared.auth import Caller


@dataclass(frozen=True)
class AddIndicator:
    actor: Caller
    indicator: Indicator


@dataclass(frozen=True)
class VersionIndicator:
    actor: Caller
    code: str
    expected_version: int
    definition: Indicator


@dataclass(frozen=True)
class RetireIndicator:
    actor: Caller
    code: str
    expected_version: int


@dataclass(frozen=True)
class ObservationDraft:
    child_ref: str
    indicator_code: str
    value: float
    observed_on: date
    intervention_id: str | None = None
    evidence_ref: str | None = None
    source_system: str | None = None


@dataclass(frozen=True)
class RecordObservations:
    """Rows in request order: a draft to record, or the field problems found parsing it."""

    actor: Caller
    rows: list[ObservationDraft | dict[str, str]]


@dataclass(frozen=True)
class CorrectObservation:
    actor: Caller
    observation_id: str
    value: float
    observed_on: date | None = None
    evidence_ref: str | None = None


@dataclass(frozen=True)
class WithdrawObservation:
    actor: Caller
    observation_id: str
    reason: str


@dataclass(frozen=True)
class AssessNeeds:
    actor: Caller
    child_ref: str
    assessed_on: date
    scores: dict[str, int]
