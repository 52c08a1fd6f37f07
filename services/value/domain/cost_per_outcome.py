"""Step 4 of the method: figures per group (intervention, provider, category, indicator,
outcome area, need level) and for the whole council, exact until printed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import cached_property
from typing import NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
from gmpy2 import mpq

from services.value.domain.columns import ChildSet, Rows, child_sets, distinct, run_starts
from services.value.domain.model import Facts, Period
from services.value.domain.needs import need_levels_on
from services.value.domain.observations import rows_in
from services.value.domain.outcomes import (
    ChildOutcome,
    Measured,
    Shares,
    child_outcomes,
    measured,
    rule_shares,
)
from services.value.domain.prepared import Prepared, prepared
from services.value.domain.rationals import as_fraction
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
NO_INTERVENTION = "(no intervention)"
UNALLOCATED = "(unallocated)"
NOT_ASSESSED = "(not assessed)"
NOT_ENROLLED = "(never enrolled)"
NO_TARGET = "(no target indicator)"
CHILD_GROUPINGS = ("need_level", "cohort")  # groups of children, not of interventions
T = TypeVar("T")


@dataclass
class Figures:
    spend: Fraction = Fraction(0)
    unallocated: Fraction = Fraction(0)
    children: ChildSet = field(default_factory=ChildSet)
    child_days: int = 0
    measured: ChildSet = field(default_factory=ChildSet)
    better_off: Fraction = Fraction(0)
    worse_off: Fraction = Fraction(0)
    better_children: ChildSet = field(default_factory=ChildSet)
    worse_children: ChildSet = field(default_factory=ChildSet)


@dataclass(frozen=True)
class CostPerOutcome:
    rows: dict[str, Figures]
    total: Figures
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

    # each worked out only for the grouping that reads it, and once for every report on the same
    # facts (tens of milliseconds at a county's size)
    @cached_property
    def need_levels(self) -> dict[str, str]:
        day = self.period.end
        return self.arranged.remember(
            ("need_levels", day), lambda: need_levels_on(self.facts.needs, day)
        )

    @cached_property
    def cohorts(self) -> dict[str, str]:
        return self.arranged.remember(("cohorts",), lambda: entry_cohorts(self.arranged))

    @property
    def by_child(self) -> bool:
        return self.group_by in CHILD_GROUPINGS

    def of_child(self, c: str | None) -> str:
        """A child's group, by a grouping of children (None: spend on no child)."""
        if c is None:
            return UNALLOCATED
        if self.group_by == "cohort":
            return self.cohorts.get(c, NOT_ENROLLED)
        return self.need_levels.get(c, NOT_ASSESSED)

    def of_outcome(self, k: str, i: str) -> str:
        """The one group of an outcome on indicator `i` that intervention `k` claims."""
        [x] = self(k, None, i)
        return x

    def __call__(self, k: str | None, c: str | None, i: str | None = None) -> set[str]:
        intervention = self.facts.interventions.get(k or "")
        if self.by_child:
            return {self.of_child(c)}
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
    """The period's figures per group. Its spend and enrolments are summed per intervention once
    for the period, its changes and their claims worked out once, and their shares once per rule
    (all remembered); a grouping then gives each its group and adds them up, so the same period
    by another grouping or rule costs little."""
    arranged = prepared(facts)
    keys = _Keys(arranged, period, group_by)
    by_child = keys.by_child
    rows: dict[str, Figures] = defaultdict(Figures)

    spent = spent_in(arranged, period)
    if by_child:
        for x, (amount, unallocated) in spent.by_group_of_child(keys.of_child).items():
            rows[x].spend += amount
            rows[x].unallocated += unallocated
    else:
        for intervention_id, (amount, unallocated) in spent.by_intervention.items():
            for x in keys(intervention_id, None):
                rows[x].spend += amount
                rows[x].unallocated += unallocated

    enrolled, pairs_of = enrolled_in(arranged, period), arranged.enrolled_rows
    child = pairs_of.child[enrolled.pairs]
    if by_child:
        pair, group, names = _groups_of(child, lambda c: [keys.of_child(pairs_of.children[c])])
    else:
        interventions = pairs_of.interventions
        pair, group, names = _groups_of(
            pairs_of.intervention[enrolled.pairs], lambda k: keys(interventions[k], None)
        )
    children = child_sets(group, child[pair], pairs_of.children)
    days = np.zeros(len(names), dtype=np.int64)
    np.add.at(days, group, enrolled.days[pair])
    for n, (x, its_days) in enumerate(zip(names, days.tolist(), strict=True)):
        rows[x].children |= children[n]
        rows[x].child_days += its_days

    found = measured(arranged, period, window_days=window_days)
    shares = rule_shares(arranged, period, rule=rule, window_days=window_days)
    _add_outcomes(rows, found, shares, keys)
    total = Figures(
        spend=spent.total[0],
        unallocated=spent.total[1],
        children=ChildSet(pairs_of.children, distinct(child)),
        child_days=int(enrolled.days.sum()),
    )
    _add_total_outcomes(total, found)
    return CostPerOutcome(
        dict(sorted(rows.items())),
        total,
        lambda: child_outcomes(arranged, period, rule=rule, window_days=window_days),
    )


def _add_outcomes(rows: dict[str, Figures], found: Measured, shares: Shares, keys: _Keys) -> None:
    """Each claim on a change counts in its group: its child measured, and better (or worse) off
    by its share, whole unless the rule shares it with other claimants."""
    group, names = _claim_groups(found, keys)
    if not len(group):
        return
    child = found.child[found.claim_of]
    changes = found.changes
    measured_children = child_sets(group, child, found.children)
    for n, x in enumerate(names):
        rows[x].measured |= measured_children[n]
    shared = np.zeros(len(group), dtype=bool)
    shared[shares.claims] = True
    for flags, children_field, count_field in (
        (changes.better_off[found.claim_of], "better_children", "better_off"),
        (changes.worse_off[found.claim_of], "worse_children", "worse_off"),
    ):
        children = child_sets(group[flags], child[flags], found.children)
        whole = np.bincount(group[flags & ~shared], minlength=len(names)).tolist()
        counted = flags[shares.claims]
        parts = _sums_by(group[shares.claims][counted], shares.share[counted])
        for n, x in enumerate(names):  # each group once: its counts are set here only
            if n in children:
                setattr(rows[x], children_field, children[n])
            setattr(rows[x], count_field, as_fraction(parts.get(n, 0) + whole[n]))


def _sums_by(group: Rows, values: npt.NDArray[np.object_]) -> dict[int, mpq]:
    """The sum of `values` in each group that has any, `group` alongside."""
    if not len(group):
        return {}
    order = np.argsort(group, kind="stable")
    group, values = group[order], values[order]
    first = run_starts(group)
    return dict(zip(group[first].tolist(), np.add.reduceat(values, first).tolist(), strict=True))


def _add_total_outcomes(total: Figures, found: Measured) -> None:
    """Every change's child is measured; each change attributed to anyone counts once, whole."""
    changes, children = found.changes, found.children
    claimed = found.claimants > 0
    total.measured |= ChildSet(children, distinct(found.child))
    for flags, children_field, count_field in (
        (changes.better_off & claimed, "better_children", "better_off"),
        (changes.worse_off & claimed, "worse_children", "worse_off"),
    ):
        found_children = ChildSet(children, distinct(found.child[flags]))
        setattr(total, children_field, getattr(total, children_field) | found_children)
        setattr(total, count_field, getattr(total, count_field) + int(flags.sum()))


def _claim_groups(found: Measured, keys: _Keys) -> tuple[Rows, list[str]]:
    """Each claim's group, as a position in the groups' names: a child's (by the groupings of
    children), or its intervention's and its change's indicator's."""
    change = found.claim_of
    if keys.by_child:
        _, group, names = _groups_of(
            found.child[change], lambda c: [keys.of_child(found.children[c])]
        )
        return group, names
    codes = len(found.codes)
    _, group, names = _groups_of(
        found.intervention * codes + found.code[change],
        lambda u: [keys.of_outcome(found.interventions[u // codes], found.codes[u % codes])],
    )
    return group, names


def _groups_of(
    unit: Rows, groups_of: Callable[[int], Iterable[str]]
) -> tuple[Rows, Rows, list[str]]:
    """The groups of rows by their units (`groups_of` names a unit's groups, one or more; asked
    once a unit): one (row, group) for each group of each row, the groups as positions in their
    sorted names."""
    units, at = np.unique(unit, return_inverse=True)
    named = [sorted(groups_of(u)) for u in units.tolist()]
    names = sorted({x for its in named for x in its})
    position = {x: n for n, x in enumerate(names)}
    counts = np.array([len(its) for its in named], dtype=np.int64)
    flat = np.array([position[x] for its in named for x in its], dtype=np.int64)
    if len(flat) == len(units):  # one group each, as a change's claims have
        return np.arange(len(unit), dtype=np.int64), flat[at], names
    first = np.cumsum(counts) - counts
    row = np.repeat(np.arange(len(unit), dtype=np.int64), counts[at])
    return row, flat[rows_in(first[at], first[at] + counts[at])], names


class _Spent:
    """A period's spend, and the unallocated part of it, summed over the (intervention, child)
    pairs with any: per intervention, in all, and (for the groupings of children) per group of
    the pairs' children."""

    def __init__(self, index: SpendIndex, spent: Spent) -> None:
        self._index, self._spent = index, spent
        self.by_intervention = self._per(index.intervention[spent.pair], index.interventions)
        self.total = (
            sum((amount for amount, _ in self.by_intervention.values()), Fraction(0)),
            sum((loose for _, loose in self.by_intervention.values()), Fraction(0)),
        )

    def by_group_of_child(
        self, group_of: Callable[[str | None], str]
    ) -> dict[str, tuple[Fraction, Fraction]]:
        """Spend per group of the pairs' children (`group_of` a child, or None: unallocated)."""
        pairs = self._index.pairs
        _, group, names = _groups_of(self._spent.pair, lambda n: [group_of(pairs[n][1])])
        return self._per(group, names)

    def _per(
        self, unit: npt.NDArray[np.int64], names: Sequence[T]
    ) -> dict[T, tuple[Fraction, Fraction]]:
        """Spend and unallocated spend per unit; `unit` gives each spent pair's, in `names`."""
        spent, denominators = self._spent, self._index.denominators
        unallocated = self._index.unallocated[spent.pair]
        spend = exact_sums(unit, spent, denominators)
        loose = exact_sums(unit[unallocated], spent.only(unallocated), denominators)
        return {names[u]: (amount, loose.get(u, Fraction(0))) for u, amount in spend.items()}


def spent_in(arranged: Prepared, period: Period) -> _Spent:
    """The period's spend, summed once for every report on it (report cards read it too)."""

    def compute() -> _Spent:
        earlier = arranged.earlier(("spent_in", period))
        if isinstance(earlier, _Spent) and arranged.unchanged("spend"):
            return earlier
        return _Spent(arranged.spend, arranged.spend.spent_in(period))

    return arranged.remember(("spent_in", period), compute)


class Enrolled(NamedTuple):
    """The (intervention, child) pairs enrolled during a period, on interventions the facts know,
    and their enrolled days in it (report cards read them too)."""

    pairs: Rows  # positions in `Prepared.enrolled_rows.pairs`
    days: Rows  # alongside: their enrolled days


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
        known = np.array([k in arranged.facts.interventions for k in rows.interventions], bool)
        enrolled = np.flatnonzero(days > 0)
        enrolled = enrolled[known[rows.intervention[enrolled]]]
        return Enrolled(enrolled, days[enrolled])

    return arranged.remember(("enrolled_in", period), compute)
