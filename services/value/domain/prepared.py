"""The facts arranged once for every report on them.

A report at a county's size reads the same arrangement many times: each child's enrolments, the
spend of each (intervention, child) pair as a running total, each child's observations of each
indicator as a sorted series, the children each indicator's interventions reach. None of it
depends on the report's period, rule or grouping, so it is built once, when first asked for, and
kept for as long as the facts are (the read model keeps one `Prepared` per cost basis until
something changes, and then rebuilds only the parts whose facts changed). What does depend on
the report is remembered for the last few reports, so the same period asked by another grouping
or as a report card is not worked out again; and after a change, a remembered result whose inputs
the change did not touch is carried over, and a period's changes whose series only gained
observations are worked out again for those series alone.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable
from datetime import date
from functools import cached_property
from typing import NamedTuple, TypeVar

from services.value.domain.change import Series
from services.value.domain.model import CostLine, Facts, Observation, Period
from services.value.domain.spend import SpendIndex, allocate, enrolled_periods

T = TypeVar("T")
# per-report results kept: a report and its other groupings, rules and card share them
REMEMBERED = 8

Enrolled = list[tuple[str, list[Period]]]  # (intervention, its merged periods) for one child


# each part of the arrangement and the facts it is built from
BUILT_FROM = {
    "enrolled": ("enrolments",),
    "spend": ("lines", "enrolments"),
    "lines_by_intervention": ("lines",),
    "series": ("observations",),
    "reached": ("enrolments", "interventions"),
    "first_enrolled": ("enrolments",),
}


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
        # (child, indicator) pairs whose series gained observations since the earlier
        # arrangement, when that is all that changed about the series (empty: they are the same)
        self._series_added: set[tuple[str, str]] | None = None
        # the earlier spend when only cost lines changed: `spend` rebuilds the interventions
        # whose lines differ and keeps every other
        self._earlier_spend: tuple[SpendIndex, dict[str | None, list[CostLine]]] | None = None
        # the earlier series and the observations they were made from: when the new
        # observations only add to those, `series` rebuilds just the pairs they touch
        self._earlier_series: tuple[dict[tuple[str, str], Series], list[Observation]] | None = None
        if previous is not None:
            for part, inputs in BUILT_FROM.items():
                built = previous.__dict__.get(part)  # where a cached_property keeps its value
                same = all(getattr(facts, i) is getattr(previous.facts, i) for i in inputs)
                if built is not None and same:
                    self.__dict__[part] = built
            if "series" in self.__dict__:
                self._series_added = set()
            series = previous.__dict__.get("series")
            if series is not None and "series" not in self.__dict__:
                self._earlier_series = (series, previous.facts.observations)
            spend = previous.__dict__.get("spend")
            only_lines_changed = facts.enrolments is previous.facts.enrolments
            if spend is not None and "spend" not in self.__dict__ and only_lines_changed:
                self._earlier_spend = (spend, previous.lines_by_intervention)
            unchanged = {part for part in BUILT_FROM if part in self.__dict__}
            if facts.indicators is previous.facts.indicators:
                unchanged.add("indicators")
            self._earlier = _Earlier(dict(previous._remembered), frozenset(unchanged))

    @cached_property
    def enrolled(self) -> dict[tuple[str, str], list[Period]]:
        """Merged enrolled days per (intervention, child), in that order."""
        return dict(sorted(enrolled_periods(self.facts.enrolments).items()))

    @cached_property
    def lines_by_intervention(self) -> dict[str | None, list[CostLine]]:
        grouped: dict[str | None, list[CostLine]] = defaultdict(list)
        for line in self.facts.lines:
            grouped[line.intervention_id].append(line)
        return dict(grouped)

    @cached_property
    def spend(self) -> SpendIndex:
        if self._earlier_spend is None:
            return SpendIndex(allocate(self.facts.lines, self.enrolled))
        earlier, earlier_lines = self._earlier_spend
        self._earlier_spend = None
        lines = self.lines_by_intervention
        changed = {k for k in earlier_lines | lines if earlier_lines.get(k) != lines.get(k)}
        return earlier.with_interventions_replaced(
            changed, allocate([line for k in changed for line in lines.get(k, [])], self.enrolled)
        )

    @cached_property
    def series(self) -> dict[tuple[str, str], Series]:
        """(child, indicator) -> that child's observations of it."""
        observations = self.facts.observations
        earlier, self._earlier_series = self._earlier_series, None
        if earlier is not None and _extends(observations, earlier[1]):
            kept, known = earlier  # nothing gone or changed: only observations added after them
            updated = dict(kept)
            added_by_pair = _by_pair(observations[len(known) :])
            for pair, added in added_by_pair.items():
                before = kept[pair].observations if pair in kept else []
                updated[pair] = Series.of([*before, *added])
            self._series_added = set(added_by_pair)
            return updated
        return {pair: Series.of(found) for pair, found in _by_pair(observations).items()}

    @cached_property
    def reached(self) -> dict[str, list[tuple[str, Enrolled]]]:
        """indicator -> each child enrolled on an intervention targeting it (sorted), with those
        interventions in the order the facts list them."""
        interventions = self.facts.interventions
        position = {k: n for n, k in enumerate(interventions)}
        by_child: dict[str, list[tuple[str, list[Period]]]] = defaultdict(list)
        for (intervention_id, child_ref), periods in self.enrolled.items():
            if intervention_id in position:
                by_child[child_ref].append((intervention_id, periods))
        reached: dict[str, list[tuple[str, Enrolled]]] = defaultdict(list)
        for child_ref, own in sorted(by_child.items()):
            theirs: dict[str, Enrolled] = defaultdict(list)
            for intervention_id, periods in sorted(own, key=lambda item: position[item[0]]):
                for code in interventions[intervention_id].target_indicators:
                    theirs[code].append((intervention_id, periods))
            for code, enrolled in theirs.items():
                reached[code].append((child_ref, enrolled))
        return dict(reached)

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
        what it was worked out from, and checks that with `unchanged` or `observations_added`."""
        return self._earlier.results.get(key) if self._earlier else None

    def unchanged(self, *names: str) -> bool:
        """Each named part (`spend`, `reached`, ...) was carried over from the earlier arrangement
        as it was, and each named facts field (`indicators`) is the very object it had; False
        without an earlier arrangement."""
        return self._earlier is not None and self._earlier.unchanged.issuperset(names)

    def observations_added(self) -> set[tuple[str, str]] | None:
        """The (child, indicator) pairs whose series only gained observations since the earlier
        arrangement (empty when the series are the same); None when they changed otherwise or
        there is no earlier arrangement."""
        _ = self.series  # built now if not yet: building it finds what was added
        return self._series_added

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


def _extends(observations: list[Observation], known: list[Observation]) -> bool:
    """`observations` begin with the very objects of `known` (an observation's equality looks at
    its day, recording and id only)."""
    return len(observations) >= len(known) and all(
        new is old for new, old in zip(observations, known, strict=False)
    )


def _by_pair(observations: list[Observation]) -> dict[tuple[str, str], list[Observation]]:
    grouped: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for observation in observations:
        grouped[(observation.child_ref, observation.indicator_code)].append(observation)
    return grouped


def prepared(facts: Facts | Prepared) -> Prepared:
    return facts if isinstance(facts, Prepared) else Prepared(facts)
