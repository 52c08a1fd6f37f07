"""Step 1 of the method: spend per intervention and child per day, exactly.

Every cost line becomes segments: a constant amount per day over a run of days. A line tagged to
a child is spread over its service period. An untagged line is shared among the children enrolled
on its intervention during its service period in proportion to their enrolled days, which is the
same as one rate per enrolled child-day; with nobody enrolled it stays unallocated (child None).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from fractions import Fraction
from functools import cached_property
from math import lcm
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from services.value.domain.columns import FirstSeen, run_starts, search_sorted
from services.value.domain.model import CostLine, Enrolment, Period, merge
from services.value.domain.rationals import as_fraction, over


class Segment(NamedTuple):  # a tuple: tens of thousands are made for each report
    transaction_id: str
    intervention_id: str | None
    child_ref: str | None  # None: unallocated spend
    period: Period
    per_day: Fraction

    def amount_in(self, window: Period) -> Fraction:
        return self.per_day * self.period.overlap_days(window)


def enrolled_periods(enrolments: Iterable[Enrolment]) -> dict[tuple[str, str], list[Period]]:
    """Merged enrolled days per (intervention, child)."""
    periods: dict[tuple[str, str], list[Period]] = defaultdict(list)
    for enrolment in enrolments:
        periods[(enrolment.intervention_id, enrolment.child_ref)].append(enrolment.period)
    return {key: merge(value) for key, value in periods.items()}


def allocate(
    lines: Iterable[CostLine], enrolled: dict[tuple[str, str], list[Period]]
) -> list[Segment]:
    # each intervention's children, in order, once (not sorted again for each of its lines)
    by_intervention: dict[str, list[tuple[str, Period]]] = defaultdict(list)
    for (intervention_id, child_ref), periods in sorted(enrolled.items()):
        by_intervention[intervention_id].extend((child_ref, period) for period in periods)
    segments: list[Segment] = []
    for line in lines:
        segments.extend(_allocate_line(line, by_intervention.get(line.intervention_id or "", [])))
    return segments


def _allocate_line(line: CostLine, enrolled: list[tuple[str, Period]]) -> list[Segment]:
    def segment(child_ref: str | None, period: Period, per_day: Fraction) -> Segment:
        return Segment(line.transaction_id, line.intervention_id, child_ref, period, per_day)

    if line.child_ref is not None:
        return [segment(line.child_ref, line.period, Fraction(line.cost_pence, line.period.days))]
    pieces = [
        (child_ref, overlap)
        for child_ref, period in enrolled
        if (overlap := period.overlap(line.period)) is not None
    ]
    child_days = sum(overlap.days for _, overlap in pieces)
    if line.intervention_id is None or child_days == 0:
        return [segment(None, line.period, Fraction(line.cost_pence, line.period.days))]
    per_child_day = Fraction(line.cost_pence, child_days)
    return [segment(child_ref, overlap, per_child_day) for child_ref, overlap in pieces]


Pair = tuple[str | None, str | None]  # (intervention, child); None: no intervention, unallocated
# a row's search key: its pair's position above the day ordinal (the far future is below 2**22)
_DAY_BITS = 22
_DAY_MASK = (1 << _DAY_BITS) - 1
# scaled figures below this are machine integers: a daily rate times the days of its run is then
# at most the difference of two totals, and no sum or product below overflows 64 bits
_MACHINE_INTEGERS = 2**61


class _RunningTotal(NamedTuple):
    """One pair's spend accumulated day by day from constant daily rates, every rate scaled by
    one common denominator to an integer: the spend in a window is the difference of the totals
    before its end and before its start."""

    denominator: int
    days: list[int]  # the days the daily rate changes
    totals: list[int]  # scaled spend on the days before days[i]
    rates: list[int]  # scaled daily rate from days[i]


def _running_total(pieces: Iterable[tuple[Period, Fraction]]) -> _RunningTotal:
    changes: dict[int, Fraction] = defaultdict(Fraction)  # day ordinal -> change of daily rate
    for period, per_day in pieces:
        changes[period.start.toordinal()] += per_day
        changes[period.end.toordinal() + 1] -= per_day
    denominator = lcm(*(change.denominator for change in changes.values()))
    total = rate = 0
    running = _RunningTotal(denominator, [], [], [])
    for day in sorted(changes):
        if running.days:
            total += rate * (day - running.days[-1])
        change = changes[day]
        rate += change.numerator * (denominator // change.denominator)
        running.days.append(day)
        running.totals.append(total)
        running.rates.append(rate)
    return running


class _Columns(NamedTuple):
    """The running totals of some pairs as flat columns, rows sorted by pair and day, so the
    totals of many pairs on many days are one search."""

    key: npt.NDArray[np.int64]  # the pair's position above the day: sorted
    total: npt.NDArray[Any]  # int64, or object (Python integers) where they would not fit
    rate: npt.NDArray[Any]

    @classmethod
    def of(cls, totals: dict[int, _RunningTotal], dtype: type) -> _Columns:
        key = [pair << _DAY_BITS | day for pair in sorted(totals) for day in totals[pair].days]
        return cls(
            np.array(key, dtype=np.int64),
            np.array([n for pair in sorted(totals) for n in totals[pair].totals], dtype=dtype),
            np.array([n for pair in sorted(totals) for n in totals[pair].rates], dtype=dtype),
        )

    def before(self, pairs: npt.NDArray[np.int64], days: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
        """Each of `pairs`' scaled spend on the days before the alongside `days` (0 for a pair
        these columns do not hold)."""
        if not len(self.key):
            return np.zeros(len(pairs), dtype=self.total.dtype)
        at = search_sorted(self.key, pairs << _DAY_BITS | days, side="right") - 1
        row = np.maximum(at, 0)
        held = (at >= 0) & (self.key[row] >> _DAY_BITS == pairs)
        since = days - (self.key[row] & _DAY_MASK)
        return np.where(held, self.total[row] + self.rate[row] * since, 0)

    def renumbered(self, position: npt.NDArray[np.int64]) -> _Columns:
        """The rows with each pair at `position[pair]`, without those of pairs at -1."""
        pair = position[self.key >> _DAY_BITS]
        keep = pair >= 0
        key = pair[keep] << _DAY_BITS | self.key[keep] & _DAY_MASK
        return _Columns(key, self.total[keep], self.rate[keep])

    @staticmethod
    def merged(one: _Columns, other: _Columns) -> _Columns:
        order = np.argsort(np.concatenate((one.key, other.key)), kind="stable")
        return _Columns(*(np.concatenate((a, b))[order] for a, b in zip(one, other, strict=True)))


class Spent(NamedTuple):
    """Spend in a window of each pair with any: (numerator / denominator) each, not reduced, so
    many are summed before a `Fraction` is made (`exact_sums`)."""

    pair: npt.NDArray[np.int64]  # position in `SpendIndex.pairs`
    numerator: npt.NDArray[Any]  # int64, or object where a figure is beyond 64 bits
    denominator: npt.NDArray[np.int64]  # position in `SpendIndex.denominators`

    def only(self, rows: npt.NDArray[np.bool_]) -> Spent:
        return Spent(self.pair[rows], self.numerator[rows], self.denominator[rows])


class SpendIndex:
    """Spend of (intervention, child) pairs over any window, from the allocated segments: one
    running total per pair, all of them held as flat columns, so the spend of every pair in a
    window (or of many pairs, each in its own window) is one search instead of a sum of segments.

    Exact: each pair's amounts are integers over its own denominator. Running totals whose
    scaled figures fit 61 bits are held as machine integers; the few beyond (a pair with many
    lines of coprime child-days) are held apart as Python integers, searched the same way."""

    def __init__(self, segments: Iterable[Segment]) -> None:
        pieces: dict[Pair, list[tuple[Period, Fraction]]] = defaultdict(list)
        for item in segments:
            pieces[(item.intervention_id, item.child_ref)].append((item.period, item.per_day))
        totals = {pair: _running_total(runs) for pair, runs in pieces.items()}
        self._name_pairs(sorted(totals, key=_pair_order))
        distinct: FirstSeen[int] = FirstSeen()
        small: dict[int, _RunningTotal] = {}
        large: dict[int, _RunningTotal] = {}
        at: list[int] = []
        for n, pair in enumerate(self.pairs):
            total = totals[pair]
            fits = all(abs(x) < _MACHINE_INTEGERS for x in (*total.totals, *total.rates))
            (small if fits else large)[n] = total
            at.append(distinct(total.denominator))
        # the distinct denominators, as Python integers (an object array: picked out at once)
        self.denominators = np.array(distinct.values, dtype=object)
        self.denominator = np.array(at, dtype=np.int64)  # each pair's, in `denominators`
        self._small = _Columns.of(small, np.int64)
        self._large = _Columns.of(large, object)

    def _name_pairs(self, pairs: list[Pair]) -> None:
        self.pairs = pairs
        self.position = {pair: n for n, pair in enumerate(pairs)}
        # each pair's intervention, as a position in `interventions`, and whether its spend is
        # unallocated: what a report sums spend by
        self.interventions = sorted({k for k, _ in pairs}, key=lambda k: k or "")
        at = {k: n for n, k in enumerate(self.interventions)}
        self.intervention = np.array([at[k] for k, _ in pairs], dtype=np.int64)
        self.unallocated = np.array([c is None for _, c in pairs], dtype=bool)

    def with_interventions_replaced(
        self, interventions: set[str | None], segments: Iterable[Segment]
    ) -> SpendIndex:
        """A new index: `interventions`' pairs made from `segments` (all of theirs), every other
        pair's running total as it is in this one."""
        replaced = SpendIndex(segments)
        kept = [pair for pair in self.pairs if pair[0] not in interventions]
        pairs = sorted([*kept, *replaced.pairs], key=_pair_order)
        position = {pair: n for n, pair in enumerate(pairs)}
        # each pair's new position in either index; -1: dropped
        old_at = np.array(
            [-1 if p[0] in interventions else position[p] for p in self.pairs], dtype=np.int64
        )
        new_at = np.array([position[p] for p in replaced.pairs], dtype=np.int64)
        distinct = FirstSeen(self.denominators)
        denominator = np.zeros(len(pairs), dtype=np.int64)
        for index, at in ((self, old_at), (replaced, new_at)):
            held = at >= 0
            denominator[at[held]] = [
                distinct(index.denominators[d]) for d in index.denominator[held].tolist()
            ]
        replaced._name_pairs(pairs)
        replaced.denominators = np.array(distinct.values, dtype=object)
        replaced.denominator = denominator
        for part in ("_small", "_large"):
            ours, theirs = getattr(self, part), getattr(replaced, part)
            setattr(
                replaced, part, _Columns.merged(ours.renumbered(old_at), theirs.renumbered(new_at))
            )
        return replaced

    @cached_property
    def _spending_days(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Each pair's first day of spend and the day after its last: the days of its first and
        last rows (a running total's rate is back to 0 at its last), so a window outside them
        holds none of its spend. Worked out once an index is complete (a replacement is made
        whole before any report reads it)."""
        first = np.zeros(len(self.pairs), dtype=np.int64)
        after = np.zeros(len(self.pairs), dtype=np.int64)
        for columns in (self._small, self._large):
            if not len(columns.key):
                continue
            pair, day = columns.key >> _DAY_BITS, columns.key & _DAY_MASK
            starts = run_starts(pair)
            first[pair[starts]] = day[starts]
            after[pair[starts]] = day[np.r_[starts[1:], len(pair)] - 1]
        return first, after

    @cached_property
    def _held_large(self) -> npt.NDArray[np.bool_]:
        """Whether each pair's running total is held as Python integers."""
        held = np.zeros(len(self.pairs), dtype=bool)
        held[self._large.key >> _DAY_BITS] = True
        return held

    def scaled_in(
        self, pairs: npt.NDArray[np.int64], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
    ) -> npt.NDArray[Any]:
        """Each of `pairs`' spend from the alongside `start` to `end` (day ordinals, both
        included), scaled by the pair's denominator: int64 or, if any is beyond, Python ints."""
        scaled: npt.NDArray[Any] = self._small.before(pairs, end + 1) - self._small.before(
            pairs, start
        )
        # the few pairs held as Python integers: asked apart, as each of their figures is an object
        held = np.flatnonzero(self._held_large[pairs])
        if len(held):
            large = self._large.before(pairs[held], end[held] + 1) - self._large.before(
                pairs[held], start[held]
            )
            if any(not -(2**63) <= amount < 2**63 for amount in large.tolist()):
                scaled = scaled.astype(object)
            scaled[held] = large  # the machine columns hold none of these pairs: 0 there
        return scaled

    def spent_in(self, window: Period, pairs: npt.NDArray[np.int64] | None = None) -> Spent:
        """The spend in `window` of each pair (or of `pairs`, positions in `pairs`) with any."""
        if pairs is None:  # the pairs with spend on any day of the window
            first, after = self._spending_days
            pairs = np.flatnonzero(
                (first <= window.end.toordinal()) & (after > window.start.toordinal())
            )
        ends = np.full(len(pairs), window.end.toordinal(), dtype=np.int64)
        starts = np.full(len(pairs), window.start.toordinal(), dtype=np.int64)
        scaled = self.scaled_in(pairs, starts, ends)
        some = np.flatnonzero(scaled != 0)
        return Spent(pairs[some], scaled[some], self.denominator[pairs[some]])

    def total_in(self, window: Period, pairs: npt.NDArray[np.int64]) -> Fraction:
        """The spend of `pairs` together in `window`."""
        spent = self.spent_in(window, pairs)
        together = np.zeros(len(spent.pair), dtype=np.int64)
        return exact_sums(together, spent, self.denominators).get(0, Fraction(0))

    def spend(self, intervention_id: str | None, child_ref: str | None, window: Period) -> Fraction:
        n = self.position.get((intervention_id, child_ref))
        return Fraction(0) if n is None else self.total_in(window, np.array([n], dtype=np.int64))


def _pair_order(pair: Pair) -> tuple[str, str]:
    return (pair[0] or "", pair[1] or "")


def exact_sums(
    groups: npt.NDArray[np.int64], spent: Spent, denominators: npt.NDArray[np.object_]
) -> dict[int, Fraction]:
    """Each group's spend, exactly: `groups` gives each of `spent`'s pairs' group. Numerators
    are added per group and denominator as Python integers (no overflow however many), and each
    group's sums over their denominators then added as exact rationals, one `Fraction` a group."""
    if not len(groups):
        return {}
    order = np.lexsort((spent.denominator, groups))
    group, denominator = groups[order], spent.denominator[order]
    first = run_starts(group, denominator)
    sums = np.add.reduceat(spent.numerator[order].astype(object), first)
    parts = over(sums, denominators[denominator[first]])
    group = group[first]
    first = run_starts(group)
    exact = np.add.reduceat(parts, first).tolist()
    return {g: as_fraction(amount) for g, amount in zip(group[first].tolist(), exact, strict=True)}


def line_amount_in(line: CostLine, window: Period) -> Fraction:
    """A line's amount in `window` by calendar days of its own service period (the ledger view)."""
    return Fraction(line.cost_pence * line.period.overlap_days(window), line.period.days)
