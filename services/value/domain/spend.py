"""Step 1 of the method: spend per intervention and child per day, exactly.

Every cost line becomes segments: a constant amount per day over a run of days. A line tagged to
a child is spread over its service period. An untagged line is shared among the children enrolled
on its intervention during its service period in proportion to their enrolled days, which is the
same as one rate per enrolled child-day; with nobody enrolled it stays unallocated (child None).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from math import lcm
from typing import NamedTuple

from services.value.domain.model import CostLine, Enrolment, Period, merge


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


class RunningTotal:
    """Spend accumulated day by day from constant daily rates, so the amount in any window is the
    difference of two running totals (two bisections), however many segments made it.

    Exact: every rate is scaled by one common denominator to an integer, and the amount is made a
    `Fraction` only when asked for."""

    __slots__ = ("_days", "_denominator", "_rates", "_totals")

    def __init__(self, pieces: Iterable[tuple[Period, Fraction]]) -> None:
        changes: dict[int, Fraction] = defaultdict(Fraction)  # day ordinal -> change of daily rate
        for period, per_day in pieces:
            changes[period.start.toordinal()] += per_day
            changes[period.end.toordinal() + 1] -= per_day
        self._denominator = lcm(*(change.denominator for change in changes.values()))
        days: list[int] = []
        totals: list[int] = []  # scaled spend on the days before days[i]
        rates: list[int] = []  # scaled daily rate from days[i]
        total = rate = 0
        for day in sorted(changes):
            if days:
                total += rate * (day - days[-1])
            change = changes[day]
            rate += change.numerator * (self._denominator // change.denominator)
            days.append(day)
            totals.append(total)
            rates.append(rate)
        # machine integers where they fit: a county holds some 100,000 of these, and a list of
        # Python ints is five times the size
        self._days: Sequence[int] = array("i", days)
        self._totals: Sequence[int] = _compact(totals)
        self._rates: Sequence[int] = _compact(rates)

    def _before(self, day: int) -> int:
        at = bisect_right(self._days, day) - 1
        if at < 0:
            return 0
        return self._totals[at] + self._rates[at] * (day - self._days[at])

    def amount_in(self, window: Period) -> Fraction:
        return Fraction(*self.scaled_in(window))

    def scaled_in(self, window: Period) -> tuple[int, int]:
        """The amount in `window` as (numerator, denominator), not reduced: many are summed
        before one `Fraction` is made of them."""
        scaled = self._before(window.end.toordinal() + 1) - self._before(window.start.toordinal())
        return scaled, self._denominator


def _compact(numbers: list[int]) -> Sequence[int]:
    try:
        return array("q", numbers)
    except OverflowError:  # a scaled amount beyond 64 bits: exact still, as Python ints
        return numbers


class SpendIndex:
    """Spend of (intervention, child) over any window, from the allocated segments: one running
    total per pair, so a report asks for a window in constant time instead of summing segments."""

    def __init__(self, segments: Iterable[Segment]) -> None:
        pieces: dict[tuple[str | None, str | None], list[tuple[Period, Fraction]]] = defaultdict(
            list
        )
        for item in segments:
            pieces[(item.intervention_id, item.child_ref)].append((item.period, item.per_day))
        self._by_pair = {pair: RunningTotal(runs) for pair, runs in pieces.items()}

    def with_interventions_replaced(
        self, interventions: set[str | None], segments: Iterable[Segment]
    ) -> SpendIndex:
        """A new index: `interventions`' pairs made from `segments` (all of theirs), every other
        pair's running total shared with this one."""
        replaced = SpendIndex(segments)
        for pair, total in self._by_pair.items():
            if pair[0] not in interventions:
                replaced._by_pair[pair] = total
        return replaced

    def spend(self, intervention_id: str | None, child_ref: str | None, window: Period) -> Fraction:
        total = self._by_pair.get((intervention_id, child_ref))
        return total.amount_in(window) if total else Fraction(0)

    def pairs(self) -> list[tuple[str | None, str | None]]:
        return sorted(self._by_pair, key=lambda pair: (pair[0] or "", pair[1] or ""))

    def spent_in(self, window: Period) -> Iterator[tuple[str | None, str | None, int, int]]:
        """(intervention, child, numerator, denominator) of each pair's spend in `window`, where
        there is any."""
        for (intervention_id, child_ref), total in self._by_pair.items():
            scaled, denominator = total.scaled_in(window)
            if scaled:
                yield intervention_id, child_ref, scaled, denominator


def line_amount_in(line: CostLine, window: Period) -> Fraction:
    """A line's amount in `window` by calendar days of its own service period (the ledger view)."""
    return Fraction(line.cost_pence * line.period.overlap_days(window), line.period.days)
