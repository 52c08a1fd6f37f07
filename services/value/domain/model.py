"""The value method's facts as plain, immutable records: what a test (or a tool) gives the method
in place of a read model (`services.value.domain.queries.source_of`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

FAR_FUTURE = date(9999, 12, 31)


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """A run of days including both ends."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class PricePeriod:
    effective_from: date
    unit_price_pence: int


@dataclass(frozen=True)
class Intervention:
    intervention_id: str
    provider_id: str
    title: str
    category: str
    pricing_model: str
    prices: tuple[PricePeriod, ...]
    target_indicators: tuple[str, ...]

    def unit_price_on(self, day: date) -> int | None:
        """The price in force on `day`: amendments take effect from their date, never before."""
        in_force = [p for p in self.prices if p.effective_from <= day]
        return max(in_force, key=lambda p: p.effective_from).unit_price_pence if in_force else None


@dataclass(frozen=True, slots=True)
class Enrolment:
    enrolment_id: str
    intervention_id: str
    child_ref: str
    start: date
    end: date | None

    @property
    def period(self) -> Period:
        return Period(self.start, self.end or FAR_FUTURE)


HIGHER_IS_BETTER = "higher_is_better"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    outcome_area: str
    unit: str
    direction: str
    threshold: Fraction

    @property
    def sign(self) -> int:
        return 1 if self.direction == HIGHER_IS_BETTER else -1


@dataclass(frozen=True, order=True, slots=True)
class Observation:
    """A current observation (superseded and withdrawn ones are removed before the method)."""

    observed_on: date
    recorded_at: str
    observation_id: str
    child_ref: str = field(compare=False)
    indicator_code: str = field(compare=False)
    value: Fraction = field(compare=False)


@dataclass(frozen=True, slots=True)
class CostLine:
    transaction_id: str
    intervention_id: str | None
    child_ref: str | None
    period: Period
    cost_pence: int


@dataclass(frozen=True, slots=True)
class NeedsAssessment:
    child_ref: str
    assessed_on: date
    assessment_id: str
    need_level: str


@dataclass(frozen=True)
class Facts:
    """Everything one report reads, on one cost basis."""

    interventions: dict[str, Intervention]
    enrolments: list[Enrolment]
    indicators: dict[str, Indicator]
    observations: Sequence[Observation]  # current ones only
    lines: Sequence[CostLine]
    needs: list[NeedsAssessment] = field(default_factory=list)
    provider_names: dict[str, str] = field(default_factory=dict)
