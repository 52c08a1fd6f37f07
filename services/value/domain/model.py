"""What the value method reads: plain, immutable facts taken from the read model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
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

    def overlap(self, other: Period) -> Period | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start, end) if start <= end else None

    def overlap_days(self, other: Period) -> int:
        # no Period made: reports ask this hundreds of thousands of times
        start, end = max(self.start, other.start), min(self.end, other.end)
        return (end - start).days + 1 if start <= end else 0

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def merge(periods: list[Period]) -> list[Period]:
    """The same days as `periods`, as sorted, non-overlapping, non-adjacent periods."""
    merged: list[Period] = []
    for period in sorted(periods):
        if merged and period.start <= merged[-1].end + timedelta(days=1):
            last = merged.pop()
            merged.append(Period(last.start, max(last.end, period.end)))
        else:
            merged.append(period)
    return merged


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
    # the read model hands over an `ObservationTable`: a sequence of them, held as columns
    observations: Sequence[Observation]
    # the read model hands over a `CostLineTable`: a sequence of them, held as columns
    lines: Sequence[CostLine]
    needs: list[NeedsAssessment] = field(default_factory=list)
    provider_names: dict[str, str] = field(default_factory=dict)
