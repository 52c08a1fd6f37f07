"""The facts arranged once for every report on them.

A report at a county's size reads the same arrangement many times: each child's enrolments, the
spend of each (intervention, child) pair as a running total, the observations as sorted columns
(one run of rows per child and indicator), the enrolments that reach each indicator's series.
None of it depends on the report's period, rule or grouping, so it is built once, when first
asked for, and kept for as long as the facts are (the read model keeps one `Prepared` per cost
basis until something changes, and then rebuilds only the parts whose facts changed). What does
depend on the report is remembered for the last few reports, so the same period asked by another
grouping or as a report card is not worked out again; and after a change, a remembered result
whose inputs the change did not touch is carried over.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from functools import cached_property
from typing import NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from services.value.domain.cost_lines import CostLineTable
from services.value.domain.model import Facts, Period
from services.value.domain.observations import ObservationTable
from services.value.domain.spend import EnrolledRows, SpendIndex, allocate, enrolled_periods

T = TypeVar("T")
# per-period results kept: a report and its other groupings, rules and card share them. A period
# asked by every rule is up to eight of them (its changes, spend, enrolments and need levels, and
# each rule's shares), some 15 MB at the largest preset: enough for six financial years
REMEMBERED = 48


# each part of the arrangement and the facts it is built from
BUILT_FROM = {
    "enrolled": ("enrolments",),
    "enrolled_rows": ("enrolments",),
    "spend": ("lines", "enrolments"),
    "cost_lines": ("lines",),
    "observed": ("observations",),
    "reach": ("enrolments", "interventions", "indicators"),
    "reach_series": ("enrolments", "interventions", "indicators", "observations"),
    "enrolled_children_observed": ("enrolments", "observations"),
    "first_enrolled": ("enrolments",),
}


class Reach(NamedTuple):
    """Each merged enrolled period of a child on an intervention, once for each indicator the
    intervention targets (and the facts define): the enrolments that put a child's series of that
    indicator in scope of a period, and claim its change. Rows are sorted by indicator, child,
    intervention (in the order the facts list them) and start."""

    children: list[str]  # the children the rows name, sorted
    codes: list[str]  # the indicators the rows name, sorted
    child: npt.NDArray[np.int64]  # each row's position in `children`
    code: npt.NDArray[np.int64]  # each row's position in `codes`
    intervention: npt.NDArray[np.int64]  # position in the facts' interventions
    start: npt.NDArray[np.int64]  # day ordinals, both ends included
    end: npt.NDArray[np.int64]


class _Earlier(NamedTuple):
    """What the earlier arrangement remembered (each result until it is worked out again here,
    or until the next change), and which of what it was worked out from this one has too."""

    results: dict[Hashable, object]
    unchanged: frozenset[str]  # parts carried over as they were, and facts fields that are the same


class Prepared:
    def __init__(self, facts: Facts, *, previous: Prepared | None = None) -> None:
        """`previous`: the arrangement of earlier facts; each part built from facts that are the
        very same objects here (the read model keeps what a change did not touch) is carried
        over rather than built again, and its remembered results are offered to the reports
        (`earlier`), which decide what of them still holds."""
        self.facts = facts
        self._remembered: OrderedDict[Hashable, object] = OrderedDict()
        self._earlier: _Earlier | None = None
        # the earlier spend when only cost lines changed: `spend` rebuilds the interventions
        # whose lines differ and keeps every other
        self._earlier_spend: tuple[SpendIndex, CostLineTable] | None = None
        if previous is not None:
            for part, inputs in BUILT_FROM.items():
                built = previous.__dict__.get(part)  # where a cached_property keeps its value
                same = all(getattr(facts, i) is getattr(previous.facts, i) for i in inputs)
                if built is not None and same:
                    self.__dict__[part] = built
            spend = previous.__dict__.get("spend")
            only_lines_changed = facts.enrolments is previous.facts.enrolments
            if spend is not None and "spend" not in self.__dict__ and only_lines_changed:
                self._earlier_spend = (spend, previous.cost_lines)
            unchanged = {part for part in BUILT_FROM if part in self.__dict__}
            for field in ("indicators", "interventions"):
                if getattr(facts, field) is getattr(previous.facts, field):
                    unchanged.add(field)
            self._earlier = _Earlier(dict(previous._remembered), frozenset(unchanged))

    @cached_property
    def enrolled(self) -> dict[tuple[str, str], list[Period]]:
        """Merged enrolled days per (intervention, child), in that order."""
        return dict(sorted(enrolled_periods(self.facts.enrolments).items()))

    @cached_property
    def enrolled_rows(self) -> EnrolledRows:
        return EnrolledRows.of(self.enrolled)

    @cached_property
    def cost_lines(self) -> CostLineTable:
        """The cost lines as columns (the read model hands them over as such already)."""
        return CostLineTable.of(self.facts.lines)

    @cached_property
    def spend(self) -> SpendIndex:
        if self._earlier_spend is None:
            return SpendIndex(allocate(self.cost_lines, self.enrolled_rows))
        earlier, earlier_lines = self._earlier_spend
        self._earlier_spend = None
        changed = self.cost_lines.interventions_changed_since(earlier_lines)
        return earlier.with_interventions_replaced(
            changed, allocate(self.cost_lines.on(changed), self.enrolled_rows)
        )

    @cached_property
    def observed(self) -> ObservationTable:
        """The observations as columns (the read model hands them over as such already)."""
        observations = self.facts.observations
        if isinstance(observations, ObservationTable):
            return observations
        return ObservationTable.of(observations)

    @cached_property
    def reach(self) -> Reach:
        interventions, indicators = self.facts.interventions, self.facts.indicators
        position = {k: n for n, k in enumerate(interventions)}
        rows = sorted(
            (code, child_ref, position[intervention_id], period.start, period.end)
            for (intervention_id, child_ref), periods in self.enrolled.items()
            if intervention_id in position
            for code in interventions[intervention_id].target_indicators
            if code in indicators
            for period in periods
        )
        children = sorted({row[1] for row in rows})
        codes = sorted({row[0] for row in rows})
        child_at = {c: n for n, c in enumerate(children)}
        code_at = {c: n for n, c in enumerate(codes)}
        return Reach(
            children,
            codes,
            np.array([child_at[row[1]] for row in rows], dtype=np.int64),
            np.array([code_at[row[0]] for row in rows], dtype=np.int64),
            np.array([row[2] for row in rows], dtype=np.int64),
            np.array([row[3].toordinal() for row in rows], dtype=np.int64),
            np.array([row[4].toordinal() for row in rows], dtype=np.int64),
        )

    @cached_property
    def reach_series(self) -> npt.NDArray[np.int64]:
        """Each reach row's series in `observed`; -1 where the child has no observation of it."""
        reach = self.reach
        return self.observed.series_numbers(reach.children, reach.codes, reach.child, reach.code)

    @cached_property
    def enrolled_children_observed(self) -> npt.NDArray[np.int64]:
        """Each of `enrolled_rows.children` as a position in `observed.children`; -1 where the
        child has no observation."""
        at = self.observed.child_position
        children = self.enrolled_rows.children.tolist()
        return np.array([at.get(c, -1) for c in children], dtype=np.int64)

    @cached_property
    def first_enrolled(self) -> dict[str, date]:
        """Each child's first enrolment start."""
        first: dict[str, date] = {}
        for enrolment in self.facts.enrolments:
            first[enrolment.child_ref] = min(
                first.get(enrolment.child_ref, date.max), enrolment.start
            )
        return first

    def earlier(self, key: Hashable) -> object | None:
        """What the earlier arrangement remembered under `key`, if anything: whoever asks knows
        what it was worked out from, and checks that with `unchanged`."""
        return self._earlier.results.get(key) if self._earlier else None

    def unchanged(self, *names: str) -> bool:
        """Each named part (`spend`, `enrolled`, ...) was carried over from the earlier
        arrangement as it was, and each named facts field (`indicators`, `interventions`) is the
        very object it had; False without an earlier arrangement."""
        return self._earlier is not None and self._earlier.unchanged.issuperset(names)

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, kept for the last few keys asked for."""
        if key in self._remembered:
            self._remembered.move_to_end(key)
        else:
            self._remembered[key] = compute()
            if self._earlier is not None:
                self._earlier.results.pop(key, None)  # superseded: not kept twice
            while len(self._remembered) > REMEMBERED:
                self._remembered.popitem(last=False)
        result: T = self._remembered[key]  # type: ignore[assignment]
        return result


def prepared(facts: Facts | Prepared) -> Prepared:
    return facts if isinstance(facts, Prepared) else Prepared(facts)
