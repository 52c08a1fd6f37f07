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
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from services.value.domain.columns import FirstSeen, Rows, distinct, run_starts, search_sorted
from services.value.domain.cost_lines import CostLineTable, amounts_in
from services.value.domain.model import CostLine, Enrolment, Period, merge
from services.value.domain.rationals import as_fraction, over


class Segments(NamedTuple):
    """Allocated spend as columns: row n is `numerator[n] / denominator[n]` pence a day from
    `start[n]` to `end[n]` (day ordinals, both included), on the pair of `interventions[
    intervention[n]]` and `children[child[n]]` (None: unallocated), from cost line `line[n]`."""

    interventions: list[str | None]
    children: list[str | None]
    line: Rows
    intervention: Rows
    child: Rows
    start: Rows
    end: Rows
    numerator: Rows
    denominator: Rows

    @classmethod
    def of(cls, rows: Iterable[tuple[str | None, str | None, Period, int, int]]) -> Segments:
        """Segments from (intervention, child, period, numerator, denominator) rows, all from
        line 0."""
        listed = list(rows)
        interventions: FirstSeen[str | None] = FirstSeen()
        children: FirstSeen[str | None] = FirstSeen()
        return cls(
            interventions.values,
            children.values,
            np.zeros(len(listed), dtype=np.int64),
            np.array([interventions(k) for k, *_ in listed], dtype=np.int64),
            np.array([children(c) for _, c, *_ in listed], dtype=np.int64),
            np.array([p.start.toordinal() for *_, p, _, _ in listed], dtype=np.int64),
            np.array([p.end.toordinal() for *_, p, _, _ in listed], dtype=np.int64),
            np.array([n for *_, n, _ in listed], dtype=np.int64),
            np.array([d for *_, d in listed], dtype=np.int64),
        )

    def amounts_in(self, window: Period) -> list[Fraction]:
        """Each segment's amount in `window`."""
        return amounts_in(window, self.start, self.end, self.numerator, self.denominator)


def enrolled_periods(enrolments: Iterable[Enrolment]) -> dict[tuple[str, str], list[Period]]:
    """Merged enrolled days per (intervention, child)."""
    periods: dict[tuple[str, str], list[Period]] = defaultdict(list)
    for enrolment in enrolments:
        periods[(enrolment.intervention_id, enrolment.child_ref)].append(enrolment.period)
    return {key: merge(value) for key, value in periods.items()}


class EnrolledRows(NamedTuple):
    """Merged enrolled periods as arrays, so a period's enrolled days are one subtraction and
    spend is allocated by a join: each period with its (intervention, child) pair."""

    pairs: list[tuple[str, str]]  # (intervention, child), in the order given
    interventions: list[str]  # the pairs' interventions, sorted
    intervention: Rows  # each pair's, as a position in `interventions`
    children: npt.NDArray[np.object_]  # the pairs' children, sorted
    child: Rows  # each pair's, as a position in `children`
    pair: Rows  # each period's position in `pairs`
    start: Rows  # day ordinals, both ends included
    end: Rows

    @classmethod
    def of(cls, enrolled: dict[tuple[str, str], list[Period]]) -> EnrolledRows:
        """The rows of `enrolled` (merged periods per pair, as `enrolled_periods` gives)."""
        pairs = list(enrolled)
        interventions = sorted({k for k, _ in pairs})
        children = sorted({c for _, c in pairs})
        intervention_at = {k: n for n, k in enumerate(interventions)}
        child_at = {c: n for n, c in enumerate(children)}
        periods = [(n, p) for n, merged in enumerate(enrolled.values()) for p in merged]
        return cls(
            pairs,
            interventions,
            np.array([intervention_at[k] for k, _ in pairs], dtype=np.int64),
            np.array(children, dtype=object),
            np.array([child_at[c] for _, c in pairs], dtype=np.int64),
            np.array([n for n, _ in periods], dtype=np.int64),
            np.array([p.start.toordinal() for _, p in periods], dtype=np.int64),
            np.array([p.end.toordinal() for _, p in periods], dtype=np.int64),
        )


def allocate(lines: Iterable[CostLine], enrolled: EnrolledRows) -> Segments:
    """Every line's spend as segments. A line tagged to a child, or on no intervention, is one
    segment over its service period at its cost over its days. An untagged line is one segment
    per enrolled period of its intervention's children overlapping its service period, each at
    its cost over the child-days of all of them; with no child-days, one unallocated segment."""
    table = CostLineTable.of(lines)
    children: FirstSeen[str | None] = FirstSeen(table.children)
    # every enrolled period on an intervention with lines, grouped by intervention, its
    # intervention and child named as the table names them
    intervention_at = {k: n for n, k in enumerate(table.interventions)}
    named = np.array([intervention_at.get(k, -1) for k in enrolled.interventions], dtype=np.int64)
    on = named[enrolled.intervention[enrolled.pair]]
    order = np.argsort(on, kind="stable")
    order = order[on[order] >= 0]
    on, start, end = on[order], enrolled.start[order], enrolled.end[order]
    child_of = enrolled.child[enrolled.pair[order]]  # in `enrolled.children`
    used = distinct(child_of)
    child = np.array([children(c) for c in enrolled.children[used].tolist()], dtype=np.int64)[
        np.searchsorted(used, child_of)
    ]
    # an untagged line on an intervention with periods: each of them against its service period
    untagged = (table.child == children(None)) & _named(table.interventions)[table.intervention]
    shared = np.flatnonzero(untagged)
    first = np.searchsorted(on, table.intervention[shared])
    count = np.searchsorted(on, table.intervention[shared], side="right") - first
    line = np.repeat(shared, count)
    # each line beside each period of its intervention: first, first + 1, ... for each line
    period = np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
    piece_start = np.maximum(start[period], table.start[line])
    piece_end = np.minimum(end[period], table.end[line])
    overlaps = piece_start <= piece_end
    line, period = line[overlaps], period[overlaps]
    piece_start, piece_end = piece_start[overlaps], piece_end[overlaps]
    child_days = np.zeros(len(table), dtype=np.int64)
    np.add.at(child_days, line, piece_end - piece_start + 1)
    whole = np.ones(len(table), dtype=bool)  # a line that is one segment over its own period
    whole[line] = False
    whole_rows = np.flatnonzero(whole)
    rows = np.concatenate((whole_rows, line))
    return Segments(
        table.interventions,
        children.values,
        rows,
        table.intervention[rows].astype(np.int64),
        np.concatenate((table.child[whole_rows], child[period])),
        np.concatenate((table.start[whole_rows], piece_start)),
        np.concatenate((table.end[whole_rows], piece_end)),
        table.cost[rows],
        np.concatenate((table.end[whole_rows] - table.start[whole_rows] + 1, child_days[line])),
    )


def _named(names: list[str | None]) -> npt.NDArray[np.bool_]:
    return np.array([name is not None for name in names], dtype=bool)


Pair = tuple[str | None, str | None]  # (intervention, child); None: no intervention, unallocated
# a row's search key: its pair's position above the day ordinal (the far future is below 2**22)
_DAY_BITS = 22
_DAY_MASK = (1 << _DAY_BITS) - 1
# a pair's figures are machine integers when its denominator is below this and the sum of its
# scaled daily rates times their days (which bounds every running total and rate of the pair)
# below half of it: half, for the bound is added up in floating point, and a window's spend is the
# difference of two totals
_MACHINE_INTEGERS = 2**61


class _Columns(NamedTuple):
    """The running totals of some pairs as flat columns, rows sorted by pair and day, so the
    totals of many pairs on many days are one search."""

    key: npt.NDArray[np.int64]  # the pair's position above the day: sorted
    total: npt.NDArray[Any]  # int64, or object (Python integers) where they would not fit
    rate: npt.NDArray[Any]

    @classmethod
    def running(cls, pair: Rows, start: Rows, end: Rows, rate: npt.NDArray[Any]) -> _Columns:
        """The running totals of segments: `rate[n]` a day (scaled) on `pair[n]` from `start[n]`
        to `end[n]`. In int64 each figure is right as long as its true value fits, as sums that
        overflow on the way wrap around and come back."""
        # a pair's daily rate changes on each segment's first day and on the day after its last
        key = np.concatenate((pair << _DAY_BITS | start, pair << _DAY_BITS | (end + 1)))
        change = np.concatenate((rate, -rate))
        if not len(key):
            return cls(key, change, change)
        order = np.argsort(key, kind="stable")
        key, change = key[order], change[order]
        first = run_starts(key)
        key = key[first]
        change = np.add.reduceat(change, first)
        runs = run_starts(key >> _DAY_BITS)  # each pair's first row
        rate_from = _sums_within(change, runs)
        # the days each rate runs for, up to the next change: a pair's last rate is 0 (each segment
        # adds its rate and takes it away), so what follows its last row adds nothing
        days = np.diff(key & _DAY_MASK, append=0)
        spent = rate_from * days
        return cls(key, _sums_within(spent, runs) - spent, rate_from)

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

    Exact: each pair's amounts are integers over its own denominator, the least common multiple
    of its segments' daily rates' denominators. The running totals of pairs whose figures
    provably fit 64 bits are held as machine integers; the few others (a pair with many lines of
    coprime child-days) are held apart as Python integers, searched the same way."""

    def __init__(self, segments: Segments) -> None:
        pairs, pair = _pairs_of(segments)
        self._name_pairs(pairs)
        numerator, denominator, days = _reduced(segments)
        # each pair's denominator: the least common multiple of its segments' own
        order = np.lexsort((denominator, pair))
        firsts = run_starts(pair[order], denominator[order])
        each = order[firsts]
        common = (
            np.lcm.reduceat(denominator[each].astype(object), run_starts(pair[each]))
            if len(each)
            else np.zeros(0, dtype=object)
        )
        fits = np.array([d < _MACHINE_INTEGERS for d in common.tolist()], dtype=bool)
        # scaled daily rates, as machine integers where every figure of the pair fits them
        scale = np.where(fits, common, 1).astype(np.int64)[pair] // denominator
        bound = np.abs(numerator).astype(float) * scale * days
        small = fits & (np.bincount(pair, bound, minlength=len(fits)) < _MACHINE_INTEGERS / 2)
        in_small = small[pair]
        self._small = _Columns.running(
            pair[in_small],
            segments.start[in_small],
            segments.end[in_small],
            numerator[in_small] * scale[in_small],
        )
        large = ~in_small
        self._large = _Columns.running(
            pair[large],
            segments.start[large],
            segments.end[large],
            numerator[large].astype(object)
            * (common[pair[large]] // denominator[large].astype(object)),
        )
        distinct: FirstSeen[int] = FirstSeen()
        at = [distinct(d) for d in common.tolist()]
        # the distinct denominators, as Python integers (an object array: picked out at once)
        self.denominators = np.array(distinct.values, dtype=object)
        self.denominator = np.array(at, dtype=np.int64)  # each pair's, in `denominators`

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
        self, interventions: set[str | None], segments: Segments
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


def _pairs_of(segments: Segments) -> tuple[list[Pair], Rows]:
    """The distinct (intervention, child) pairs of `segments`, in order of their names, and each
    segment's position among them."""
    width = max(len(segments.children), 1)
    code = segments.intervention * width + segments.child
    codes = distinct(code)
    named = [
        (segments.interventions[k], segments.children[c])
        for k, c in zip(*(part.tolist() for part in np.divmod(codes, width)), strict=True)
    ]
    order = sorted(range(len(named)), key=lambda n: _pair_order(named[n]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return [named[n] for n in order], rank[np.searchsorted(codes, code)]


def _reduced(segments: Segments) -> tuple[Rows, Rows, Rows]:
    """Each segment's daily rate in lowest terms (numerator, denominator), and its days."""
    common = np.gcd(segments.numerator, segments.denominator)
    days = segments.end - segments.start + 1
    return segments.numerator // common, segments.denominator // common, days


def _sums_within(values: npt.NDArray[Any], runs: Rows) -> npt.NDArray[Any]:
    """Running sums of `values`, starting again at each of `runs` (the first row of each run)."""
    if not len(values):
        return values
    sums = np.cumsum(values)
    before = sums[runs] - values[runs]  # the sum of the rows before each run
    within: npt.NDArray[Any] = sums - np.repeat(before, np.diff(np.r_[runs, len(values)]))
    return within


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
