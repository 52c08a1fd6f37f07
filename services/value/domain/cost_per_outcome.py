"""Step 4 of the method: figures per group (intervention, provider, category, indicator,
outcome area, need level) and for the whole council, exact until printed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import cached_property
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from services.value.domain.model import Facts, Period
from services.value.domain.needs import need_levels_on
from services.value.domain.outcomes import (
    ChildOutcome,
    Measured,
    Rows,
    child_outcomes,
    measured,
    rule_shares,
)
from services.value.domain.prepared import Prepared, prepared
from services.value.domain.spend import SpendIndex, Spent, exact_sums

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
CHILD_GROUPINGS = ("need_level", "cohort")  # groups of children, not of interventions


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
    measured: Measured = field(compare=False)  # the period's changes, and who claims each
    listed: Callable[[], list[ChildOutcome]] = field(compare=False, repr=False)

    @cached_property
    def outcomes(self) -> list[ChildOutcome]:
        """Each change as an outcome, with its shares: made only for a reader who asks."""
        return self.listed()


class _Keys:
    def __init__(self, arranged: Prepared, period: Period, group_by: str) -> None:
        if group_by not in GROUPINGS:
            raise ValueError(f"unknown grouping {group_by!r}; groupings are {', '.join(GROUPINGS)}")
        self.arranged, self.facts, self.period = arranged, arranged.facts, period
        self.group_by = group_by

    # each worked out only for the grouping that reads it (tens of milliseconds at a county's size)
    @cached_property
    def need_levels(self) -> dict[str, str]:
        return need_levels_on(self.facts.needs, self.period.end)

    @cached_property
    def cohorts(self) -> dict[str, str]:
        return entry_cohorts(self.arranged)

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
    """The period's figures per group. Spend, enrolments and outcomes are first summed per
    intervention (or, for the groupings of children, per child) once for the period, and per rule
    for outcomes; a grouping then adds up those few sums, so the same period by another grouping
    costs little."""
    arranged = prepared(facts)
    keys = _Keys(arranged, period, group_by)
    by_child = group_by in CHILD_GROUPINGS
    rows: dict[str, Figures] = defaultdict(Figures)

    spent = _spent_in(arranged, period)
    for unit, (amount, unallocated) in (
        spent.by_child if by_child else spent.by_intervention
    ).items():
        for x in keys(None, unit) if by_child else keys(unit, None):
            rows[x].spend += amount
            rows[x].unallocated += unallocated

    enrolled = enrolled_in(arranged, period)
    if by_child:
        for child_ref, days in enrolled.by_child.items():
            for x in keys(None, child_ref):
                rows[x].children.add(child_ref)
                rows[x].child_days += days
    else:
        for intervention_id, (children, days) in enrolled.by_intervention.items():
            for x in keys(intervention_id, None):
                rows[x].children |= children
                rows[x].child_days += days

    tallied = _tallied(arranged, period, rule=rule, window_days=window_days, by_child=by_child)
    for claimed in tallied:
        for (intervention_id, child_ref, code), tally in claimed.tallies.items():
            for x in keys(intervention_id, child_ref, code):
                tally.add_to(rows[x])

    total = Figures(
        spend=spent.total[0],
        unallocated=spent.total[1],
        children=set(enrolled.by_child),
        child_days=sum(enrolled.by_child.values()),
    )
    for claimed in tallied:
        claimed.total.add_to(total)
    return CostPerOutcome(
        dict(sorted(rows.items())),
        total,
        measured(arranged, period, window_days=window_days),
        lambda: child_outcomes(arranged, period, rule=rule, window_days=window_days),
    )


class _Spent:
    """A period's spend, and the unallocated part of it, summed over the (intervention, child)
    pairs with any: per intervention, in all, and (for the groupings of children) per child."""

    def __init__(self, index: SpendIndex, spent: Spent) -> None:
        self._index, self._spent = index, spent
        interventions = sorted({k or "" for k, _ in index.pairs})
        at = {k: n for n, k in enumerate(interventions)}
        unit = np.array([at[index.pairs[n][0] or ""] for n in spent.pair.tolist()], dtype=np.int64)
        self.by_intervention = self._per(unit, [k or None for k in interventions])
        nothing = (Fraction(0), Fraction(0))
        self.total = self._per(np.zeros(len(unit), dtype=np.int64), [TOTAL]).get(TOTAL, nothing)

    @cached_property
    def by_child(self) -> dict[str | None, tuple[Fraction, Fraction]]:
        pairs = self._index.pairs
        children = sorted({c or "" for _, c in pairs})
        at = {c: n for n, c in enumerate(children)}
        unit = np.array([at[pairs[n][1] or ""] for n in self._spent.pair.tolist()], dtype=np.int64)
        return self._per(unit, [c or None for c in children])

    def _per(
        self, unit: npt.NDArray[np.int64], names: list[str | None]
    ) -> dict[str | None, tuple[Fraction, Fraction]]:
        """Spend and unallocated spend per unit; `unit` gives each spent pair's, in `names`."""
        pairs, spent, denominators = self._index.pairs, self._spent, self._index.denominators
        unallocated = np.array([pairs[n][1] is None for n in spent.pair.tolist()], dtype=bool)
        spend = exact_sums(unit, spent, denominators)
        loose = exact_sums(unit[unallocated], spent.only(unallocated), denominators)
        return {names[u]: (amount, loose.get(u, Fraction(0))) for u, amount in spend.items()}


def _spent_in(arranged: Prepared, period: Period) -> _Spent:
    def compute() -> _Spent:
        earlier = arranged.earlier(("spent_in", period))
        if isinstance(earlier, _Spent) and arranged.unchanged("spend"):
            return earlier
        return _Spent(arranged.spend, arranged.spend.spent_in(period))

    return arranged.remember(("spent_in", period), compute)


class Enrolled(NamedTuple):
    """The children enrolled during a period on an intervention the facts know, and their
    enrolled days: per intervention, and per child (report cards read them too)."""

    by_intervention: dict[str, tuple[set[str], int]]
    by_child: dict[str, int]


def enrolled_in(arranged: Prepared, period: Period) -> Enrolled:
    def compute() -> Enrolled:
        earlier = arranged.earlier(("enrolled_in", period))
        if isinstance(earlier, Enrolled) and arranged.unchanged("enrolled", "interventions"):
            return earlier
        rows = arranged.enrolled_rows
        overlap = np.minimum(rows.end, period.end.toordinal()) - np.maximum(
            rows.start, period.start.toordinal()
        )
        days = np.zeros(len(rows.pairs), dtype=np.int64)
        np.add.at(days, rows.pair, np.maximum(overlap + 1, 0))
        by_intervention: dict[str, tuple[set[str], int]] = {}
        by_child: dict[str, int] = defaultdict(int)
        interventions = arranged.facts.interventions
        for at in np.flatnonzero(days).tolist():
            (k, c), enrolled = rows.pairs[at], int(days[at])
            if k in interventions:
                children, before = by_intervention.get(k, (set(), 0))
                children.add(c)
                by_intervention[k] = (children, before + enrolled)
                by_child[c] += enrolled
        return Enrolled(by_intervention, dict(by_child))

    return arranged.remember(("enrolled_in", period), compute)


class _Count:
    """Children better (or worse) off, and their shares summed."""

    __slots__ = ("children", "sum")

    def __init__(self, children: set[str], whole: int, parts: list[Fraction]) -> None:
        self.children = children
        self.sum = sum(parts, Fraction(whole))


class _Tally:
    """The outcome figures of some children's changes."""

    __slots__ = ("better", "measured", "worse")

    def __init__(self, measured: set[str], better: _Count, worse: _Count) -> None:
        self.measured, self.better, self.worse = measured, better, worse

    def add_to(self, figures: Figures) -> None:
        figures.measured |= self.measured
        figures.better_children |= self.better.children
        figures.worse_children |= self.worse.children
        figures.better_off += self.better.sum
        figures.worse_off += self.worse.sum


TallyKey = tuple[
    str | None, str | None, str | None
]  # what `_Keys` is asked: intervention, child, indicator


class _Claimed(NamedTuple):
    """Tallies of some of a period's outcomes per (intervention, indicator) or per child, and of
    them all (each outcome attributed to anyone counted whole)."""

    tallies: dict[TallyKey, _Tally]
    total: _Tally


def _tallied(
    arranged: Prepared, period: Period, *, rule: str, window_days: int, by_child: bool
) -> list[_Claimed]:
    """The tallies of the period's outcomes: those at most one intervention claims (the same by
    every rule, so tallied once for all three), and those the rule shares."""
    found = measured(arranged, period, window_days=window_days)
    whole = arranged.remember(
        ("tallied_whole", period, window_days, by_child),
        lambda: _claimed(
            found, np.flatnonzero(found.claimants[found.claim_of] == 1), None, by_child=by_child
        ),
    )
    shares = rule_shares(arranged, period, rule=rule, window_days=window_days)
    shared = arranged.remember(
        ("tallied_shared", period, rule, window_days, by_child),
        lambda: _claimed(found, shares.claims, shares.share, by_child=by_child),
    )
    return [whole, shared]


def _claimed(
    found: Measured, claims: Rows, share: list[Fraction] | None, *, by_child: bool
) -> _Claimed:
    """The tallies of `claims` (positions in `found`'s claims, each with its `share`; None:
    all whole), and the total of the changes they are claims on: every change of one group (at
    most one claimant, or more than one), so the two totals add up to the period's."""
    change = found.claim_of[claims]
    codes = len(found.codes)
    key = (
        found.child[change] if by_child else found.intervention[claims] * codes + found.code[change]
    )
    tallies = {
        (None, found.children[k], None)
        if by_child
        else (found.interventions[k // codes], None, found.codes[k % codes]): tally
        for k, tally in _tallies(found, key, change, share).items()
    }
    shared = share is not None
    group = np.flatnonzero((found.claimants > 1) if shared else (found.claimants <= 1))
    claimed = group[found.claimants[group] > 0]
    totals = _tallies(found, np.zeros(len(claimed), dtype=np.int64), claimed, None)
    total = totals[0] if totals else _Tally(set(), _Count(set(), 0, []), _Count(set(), 0, []))
    total.measured |= {found.children[c] for c in found.child[group].tolist()}
    return _Claimed(tallies, total)


def _tallies(
    found: Measured, key: Rows, change: Rows, share: list[Fraction] | None
) -> dict[int, _Tally]:
    """A tally per key of outcomes: `key` and `change` give each outcome's key and change in
    `found`, and `share` its share (None: every one whole)."""
    if not len(key):
        return {}
    order = np.argsort(key, kind="stable")
    key, change = key[order], change[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    names = [found.children[c] for c in found.child[change].tolist()]
    flags = (found.changes.better_off[change].tolist(), found.changes.worse_off[change].tolist())
    shares = None if share is None else [share[n] for n in order.tolist()]
    tallies: dict[int, _Tally] = {}
    for k, start, end in zip(
        key[first].tolist(), first.tolist(), [*first[1:].tolist(), len(key)], strict=True
    ):
        counts = []
        for flagged in flags:
            chosen = [n for n in range(start, end) if flagged[n]]
            children = {names[n] for n in chosen}
            if shares is None:
                counts.append(_Count(children, len(chosen), []))
            else:
                counts.append(_Count(children, 0, [shares[n] for n in chosen]))
        tallies[k] = _Tally(set(names[start:end]), *counts)
    return tallies
