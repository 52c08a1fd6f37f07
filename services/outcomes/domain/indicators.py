"""Indicators: what a council measures about children, and which values make sense.

An indicator is defined once and then only versioned or retired, never edited in place: each
observation names the indicator version it was checked against, and a retired indicator keeps its
history (its versions and its observations) but takes no new observations.

Units and the values they allow:
- `percent`: a number within the indicator's range (normally 0-100);
- `score`: a number within the range (e.g. SDQ total difficulties 0-40);
- `count`: a whole, non-negative number within the range;
- `yes_no`: 0 (no) or 1 (yes).

The age band is descriptive only: Acorn holds no dates of birth, so it cannot check a child's age.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

ACTIVE = "active"
RETIRED = "retired"
HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"


class IndicatorRuleError(ValueError):
    """A definition or change that breaks the rules of the framework; names the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class AgeBand:
    min_age: int
    max_age: int


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    description: str
    outcome_area: str
    unit: str
    min_value: float
    max_value: float
    direction: str
    improvement_threshold: float
    introduced_on: date
    age_band: AgeBand | None = None
    status: str = ACTIVE
    version: int = 1
    sources: tuple[str, ...] = field(default=())

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


def check_definition(indicator: Indicator) -> None:
    """Raise IndicatorRuleError if the definition cannot work."""
    if indicator.min_value > indicator.max_value:
        raise IndicatorRuleError("min_value", "must not be greater than max_value")
    if indicator.unit == "yes_no" and (indicator.min_value, indicator.max_value) != (0, 1):
        raise IndicatorRuleError("min_value", "a yes_no indicator ranges from 0 to 1")
    if indicator.unit == "count" and (
        indicator.min_value < 0 or not float(indicator.min_value).is_integer()
    ):
        raise IndicatorRuleError("min_value", "a count starts at a whole number of 0 or more")
    if indicator.improvement_threshold > indicator.max_value - indicator.min_value:
        raise IndicatorRuleError("improvement_threshold", "is larger than the whole range")
    band = indicator.age_band
    if band is not None and band.min_age > band.max_age:
        raise IndicatorRuleError("age_band", "min_age must not be greater than max_age")


def new_version(current: Indicator, changes: Indicator) -> Indicator:
    """The next version of `current` with the definition in `changes` (code and date kept)."""
    if not current.is_active:
        raise IndicatorRuleError("status", "a retired indicator cannot be versioned")
    updated = replace(
        changes,
        code=current.code,
        introduced_on=current.introduced_on,
        status=ACTIVE,
        version=current.version + 1,
        sources=changes.sources or current.sources,
    )
    check_definition(updated)
    return updated


def retire(current: Indicator) -> Indicator:
    if not current.is_active:
        raise IndicatorRuleError("status", "the indicator is already retired")
    return replace(current, status=RETIRED, version=current.version + 1)


def value_problem(indicator: Indicator, value: float) -> str | None:
    """Why `value` is not a valid reading of `indicator`, or None if it is."""
    if indicator.unit == "yes_no":
        return None if value in (0, 1) else "must be 0 (no) or 1 (yes)"
    if indicator.unit == "count" and (value < 0 or not float(value).is_integer()):
        return "must be a whole number of 0 or more"
    if not indicator.min_value <= value <= indicator.max_value:
        return f"must be between {indicator.min_value:g} and {indicator.max_value:g}"
    return None


@dataclass(frozen=True)
class Guardrail:
    """RBA: too many indicators hide the ones that matter; warn above `limit` active ones."""

    active: int
    limit: int

    @property
    def exceeded(self) -> bool:
        return self.active > self.limit

    @property
    def warning(self) -> str | None:
        if not self.exceeded:
            return None
        return (
            f"{self.active} indicators are active, more than the guardrail of {self.limit}: "
            "too many indicators hide the ones that matter; consider retiring some"
        )
