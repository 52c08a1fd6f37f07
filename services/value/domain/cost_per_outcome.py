"""Step 4 of the method: figures per group (intervention, provider, category, indicator,
outcome area, need level) and for the whole council, exact until printed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from services.value.domain.model import Facts, Period
from services.value.domain.needs import need_levels_on
from services.value.domain.outcomes import ChildOutcome, child_outcomes
from services.value.domain.prepared import Prepared, prepared
from services.value.domain.spend import enrolled_days

GROUPINGS = (
    "intervention",
    "provider",
    "category",
    "indicator",
    "outcome_area",
    "cohort",
    "need_level",
)
TOTAL = "all"
NO_INTERVENTION = "(no intervention)"
UNALLOCATED = "(unallocated)"
NOT_ASSESSED = "(not assessed)"
NOT_ENROLLED = "(never enrolled)"
NO_TARGET = "(no target indicator)"


@dataclass
class Figures:
    spend: Fraction = Fraction(0)
    unallocated: Fraction = Fraction(0)
    children: set[str] = field(default_factory=set)
    child_days: int = 0
    measured: set[str] = field(default_factory=set)
    better_off: Fraction = Fraction(0)
    worse_off: Fraction = Fraction(0)
    better_children: set[str] = field(default_factory=set)
    worse_children: set[str] = field(default_factory=set)

    @property
    def child_weeks(self) -> Fraction:
        return Fraction(self.child_days, 7)

    @property
    def cost_per_better_off(self) -> Fraction | None:
        return self.spend / self.better_off if self.better_off else None

    @property
    def better_off_per_1000(self) -> Fraction | None:
        return self.better_off * 100_000 / self.spend if self.spend > 0 else None


@dataclass(frozen=True)
class CostPerOutcome:
    rows: dict[str, Figures]
    total: Figures
    outcomes: list[ChildOutcome]


class _Keys:
    def __init__(self, arranged: Prepared, period: Period, group_by: str) -> None:
        if group_by not in GROUPINGS:
            raise ValueError(f"unknown grouping {group_by!r}; groupings are {', '.join(GROUPINGS)}")
        self.facts, self.period, self.group_by = arranged.facts, period, group_by
        self.need_levels = need_levels_on(arranged.facts.needs, period.end)
        self.cohorts = entry_cohorts(arranged)

    def __call__(self, k: str | None, c: str | None, i: str | None = None) -> set[str]:
        intervention = self.facts.interventions.get(k or "")
        if self.group_by in ("need_level", "cohort"):
            if c is None:
                return {UNALLOCATED}
            if self.group_by == "cohort":
                return {self.cohorts.get(c, NOT_ENROLLED)}
            return {self.need_levels.get(c, NOT_ASSESSED)}
        if self.group_by in ("indicator", "outcome_area"):
            codes = [i] if i else list(intervention.target_indicators if intervention else [])
            if self.group_by == "indicator":
                return set(codes) or {NO_TARGET}
            areas = {
                self.facts.indicators[x].outcome_area for x in codes if x in self.facts.indicators
            }
            return areas or {NO_TARGET}
        if intervention is None:
            return {k or NO_INTERVENTION}
        key = {
            "intervention": intervention.intervention_id,
            "provider": intervention.provider_id,
            "category": intervention.category,
        }[self.group_by]
        return {key}


def entry_cohorts(facts: Facts | Prepared) -> dict[str, str]:
    """Each child's entry cohort: the financial quarter of their first enrolment, e.g. 2024-Q3
    (financial year 2024, October to December 2024)."""
    first = prepared(facts).first_enrolled
    return {child: _financial_quarter(day) for child, day in first.items()}


def _financial_quarter(day: date) -> str:
    fy = day.year if day.month >= 4 else day.year - 1
    return f"{fy}-Q{(day.month - 4) % 12 // 3 + 1}"


def cost_per_outcome(
    facts: Facts | Prepared, period: Period, *, rule: str, group_by: str, window_days: int
) -> CostPerOutcome:
    arranged = prepared(facts)
    keys = _Keys(arranged, period, group_by)
    rows: dict[str, Figures] = defaultdict(Figures)
    total = Figures()

    for (k, c), amount in _spend_in(arranged, period):
        for figures in [total, *(rows[x] for x in keys(k, c))]:
            figures.spend += amount
            if c is None:
                figures.unallocated += amount

    for (k, c), periods in arranged.enrolled.items():
        days = enrolled_days(periods, period)
        if days and k in arranged.facts.interventions:
            for figures in [total, *(rows[x] for x in keys(k, c))]:
                figures.children.add(c)
                figures.child_days += days

    outcomes = child_outcomes(arranged, period, rule=rule, window_days=window_days)
    for outcome in outcomes:
        total.measured.add(outcome.child_ref)
        if outcome.shares:
            _add_share(total, outcome, Fraction(1))
        for k, share in outcome.shares.items():
            for x in keys(k, outcome.child_ref, outcome.indicator_code):
                rows[x].measured.add(outcome.child_ref)
                _add_share(rows[x], outcome, share)
    return CostPerOutcome(dict(sorted(rows.items())), total, outcomes)


def _spend_in(
    arranged: Prepared, period: Period
) -> list[tuple[tuple[str | None, str | None], Fraction]]:
    """Each (intervention, child) pair's spend in `period`, where there is any."""

    def compute() -> list[tuple[tuple[str | None, str | None], Fraction]]:
        earlier = arranged.earlier(("spend_in", period))
        if isinstance(earlier, list) and arranged.unchanged("spend"):
            return earlier
        spend = arranged.spend
        found = []
        for k, c in spend.pairs():
            if amount := spend.spend(k, c, period):
                found.append(((k, c), amount))
        return found

    return arranged.remember(("spend_in", period), compute)


def _add_share(figures: Figures, outcome: ChildOutcome, share: Fraction) -> None:
    if outcome.change.better_off:
        figures.better_off += share
        figures.better_children.add(outcome.child_ref)
    if outcome.change.worse_off:
        figures.worse_off += share
        figures.worse_children.add(outcome.child_ref)
