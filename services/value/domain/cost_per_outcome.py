"""Step 4 of the method: figures per group (intervention, provider, category, indicator,
outcome area, cohort, need level) and for the whole council, exact until printed. Spend and
enrolments are summed per group by the queries' GROUP BYs (`services.value.domain.queries`); the
claims on changes are added up here, where shares are rationals, each claim in its group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import cached_property
from typing import Any

from services.value.domain.attribution import check_rule, shares_of
from services.value.domain.model import Facts, Period
from services.value.domain.queries import (
    NO_INTERVENTION,
    NO_TARGET,
    NOT_ASSESSED,
    NOT_ENROLLED,
    UNALLOCATED,
    Source,
    exact_sum,
    exact_sums,
    source_of,
    window,
)

__all__ = ["GROUPINGS", "NO_INTERVENTION", "CostPerOutcome", "Figures", "cost_per_outcome"]

GROUPINGS = (
    "intervention",
    "provider",
    "category",
    "indicator",
    "outcome_area",
    "cohort",
    "need_level",
)
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


@dataclass(frozen=True, slots=True)
class Change:
    window: Period  # from the baseline's day to the latest's
    delta: Fraction  # already multiplied by the indicator's direction: positive is better
    better_off: bool
    worse_off: bool


@dataclass(frozen=True, slots=True)
class ChildOutcome:
    child_ref: str
    indicator_code: str
    change: Change
    shares: dict[str, Fraction]  # intervention -> share; empty: nobody to attribute it to


class Outcomes:
    """A period's changes (step 2), their claims and each rule's shares (step 3): the same for
    every grouping, so worked out once per period (and rule)."""

    def __init__(self, source: Source, period: Period, window_days: int) -> None:
        self.source, self.window_days = source, window_days
        _, claims, spend = source.each(
            (
                "CREATE TEMP TABLE found AS FROM claims($first_day, $last_day, $window_days)",
                "FROM found ORDER BY indicator_code, child_ref, intervention_id",
                # for cost share: each claimant's spend on the child between the baseline and
                # latest days of a change it shares with others
                """SELECT c.child_ref, c.indicator_code, c.intervention_id,
                    sum(s.numerator::HUGEINT * (least(s.end_date, c.latest_day)
                        - greatest(s.start_date, c.baseline_day) + 1)), s.denominator
                FROM (FROM found QUALIFY count(intervention_id)
                        OVER (PARTITION BY child_ref, indicator_code) > 1) c
                JOIN segments($basis) s ON s.child_ref = c.child_ref
                    AND s.intervention_id = c.intervention_id
                    AND s.start_date <= c.latest_day AND s.end_date >= c.baseline_day
                GROUP BY ALL""",
            ),
            **window(period),
            window_days=window_days,
            basis=source.basis,
        )
        # (child, indicator) -> (baseline day, latest day, delta scaled, better off, worse off)
        self.changes: dict[tuple[str, str], tuple[date, date, int, bool, bool]] = {}
        self.claims: dict[tuple[str, str], dict[str, int]] = {}  # intervention -> its days
        for child, code, *change, k, days in claims:
            self.changes[(child, code)] = tuple(change)  # type: ignore[assignment]
            if k is not None:
                self.claims.setdefault((child, code), {})[k] = days
        self.spend: dict[tuple[str, str], dict[str, Fraction]] = defaultdict(dict)
        for (child, code, k), amount in exact_sums(
            ((child, code, k), numerator, denominator)
            for child, code, k, numerator, denominator in spend
        ).items():
            self.spend[(child, code)][k] = amount
        self._shares: dict[str, dict[tuple[str, str], dict[str, Fraction]]] = {}

    def shares(self, rule: str) -> dict[tuple[str, str], dict[str, Fraction]]:
        """Each claim's share by `rule`: whole unless its change has other claimants."""
        if rule not in self._shares:
            self._shares[rule] = {
                key: shares_of(rule, days, self.spend.get(key, {}))
                if len(days) > 1
                else dict.fromkeys(days, Fraction(1))
                for key, days in self.claims.items()
            }
        return self._shares[rule]

    def listed(self, rule: str) -> list[ChildOutcome]:
        shares, scale = self.shares(rule), self.source.value_scale
        return [
            ChildOutcome(
                child,
                code,
                Change(Period(baseline, latest), Fraction(delta, scale), better, worse),
                shares.get((child, code), {}),
            )
            for (child, code), (baseline, latest, delta, better, worse) in self.changes.items()
        ]


def outcomes_in(source: Source, period: Period, window_days: int) -> Outcomes:
    return source.remember(
        ("outcomes", source.basis, period, window_days),
        lambda: Outcomes(source, period, window_days),
    )


@dataclass(frozen=True)
class CostPerOutcome:
    rows: dict[str, Figures]
    total: Figures
    found: Outcomes = field(compare=False, repr=False)
    rule: str = "cost_share"

    @cached_property
    def outcomes(self) -> list[ChildOutcome]:
        """Each change as an outcome, with its shares: made only for a reader who asks."""
        return self.found.listed(self.rule)


def group_key(group_by: str) -> tuple[str, str]:
    """The SQL joining a relation of (intervention_id, child_ref) rows, aliased `x`, to its
    groups by `group_by`, and the SQL of its group's key."""
    if group_by in CHILD_GROUPINGS:
        missing = NOT_ENROLLED if group_by == "cohort" else NOT_ASSESSED
        return (
            "LEFT JOIN child_groups($group_by, $last_day) g ON g.child_ref = x.child_ref",
            f"CASE WHEN x.child_ref IS NULL THEN '{UNALLOCATED}' "
            f"ELSE coalesce(g.key, '{missing}') END",
        )
    fallback = (
        f"'{NO_TARGET}'" if group_by in ("indicator", "outcome_area") else "x.intervention_id"
    )
    return (
        "LEFT JOIN intervention_groups($group_by) g ON g.intervention_id = x.intervention_id",
        f"coalesce(g.key, {fallback}, '{NO_INTERVENTION}')",
    )


def cost_per_outcome(
    facts: Facts | Source, period: Period, *, rule: str, group_by: str, window_days: int
) -> CostPerOutcome:
    if group_by not in GROUPINGS:
        raise ValueError(f"unknown grouping {group_by!r}; groupings are {', '.join(GROUPINGS)}")
    source = source_of(facts)
    check_rule(rule)
    joined, key = group_key(group_by)
    parameters: dict[str, Any] = {**window(period), "group_by": group_by}
    rows: dict[str, Figures] = defaultdict(Figures)

    # step 1: spend per group, and how much of it is unallocated
    spend = source.rows(
        f"""SELECT {key} AS key, x.denominator, sum(x.numerator),
                coalesce(sum(x.numerator) FILTER (WHERE x.child_ref IS NULL), 0)
            FROM spend_in($basis, $first_day, $last_day) x {joined} GROUP BY ALL""",
        **parameters,
        basis=source.basis,
    )
    for x, amount in exact_sums((x, n, d) for x, d, n, _ in spend).items():
        rows[x].spend = amount
    for x, amount in exact_sums((x, u, d) for x, d, _, u in spend).items():
        rows[x].unallocated = amount

    # children served and their enrolled days
    for x, children, days in source.rows(
        f"""SELECT {key} AS key, list(DISTINCT x.child_ref), sum(x.days)
            FROM enrolled_in($first_day, $last_day) x {joined} GROUP BY ALL""",
        **parameters,
    ):
        rows[x].children, rows[x].child_days = set(children), int(days)

    # steps 2 and 3: each claim on a change counts in its group (its intervention's, its
    # change's indicator's or area's, or its child's): its child measured, and better (or worse)
    # off by its share
    found = outcomes_in(source, period, window_days)
    shares = found.shares(rule)
    group_of = _claim_groups(source, group_by, period)
    for (child, code), claimants in shares.items():
        _, _, _, better, worse = found.changes[(child, code)]
        for k, share in claimants.items():
            row = rows[group_of(child, code, k)]
            row.measured.add(child)
            if better:
                row.better_children.add(child)
                row.better_off += share
            if worse:
                row.worse_children.add(child)
                row.worse_off += share

    total = _total(source, period, found)
    return CostPerOutcome(dict(sorted(rows.items())), total, found, rule)


def _claim_groups(source: Source, group_by: str, period: Period) -> Callable[[str, str, str], str]:
    """The group of a claim on (child, indicator) by intervention: by a grouping of children the
    child's, by indicator (or outcome area) the change's indicator (or its area), otherwise the
    intervention's."""
    if group_by in CHILD_GROUPINGS:
        missing = NOT_ENROLLED if group_by == "cohort" else NOT_ASSESSED
        children = dict(
            source.rows(
                "FROM child_groups($group_by, $last_day)", group_by=group_by, **window(period)
            )
        )
        return lambda child, code, k: children.get(child, missing)
    if group_by == "indicator":
        return lambda child, code, k: code
    if group_by == "outcome_area":
        areas = dict(source.rows("SELECT code, outcome_area FROM indicators"))
        return lambda child, code, k: areas[code]
    interventions = dict(source.rows("FROM intervention_groups($group_by)", group_by=group_by))
    return lambda child, code, k: interventions[k]


def _total(source: Source, period: Period, found: Outcomes) -> Figures:
    """The whole council: all spend; every child enrolled, their days on every intervention; every
    change's child measured; each change attributed to anyone counted once, whole. The same for
    every grouping and rule, so worked out once per period."""
    key = ("total", source.basis, period, found.window_days)
    return source.remember(key, lambda: _council(source, period, found))


def _council(source: Source, period: Period, found: Outcomes) -> Figures:
    total = Figures()
    spend = source.rows(
        """SELECT denominator, sum(numerator),
                coalesce(sum(numerator) FILTER (WHERE child_ref IS NULL), 0)
            FROM spend_in($basis, $first_day, $last_day) GROUP BY ALL""",
        basis=source.basis,
        **window(period),
    )
    total.spend = exact_sum((n, d) for d, n, _ in spend)
    total.unallocated = exact_sum((u, d) for d, _, u in spend)
    [(children, days)] = source.rows(
        "SELECT list(DISTINCT child_ref), sum(days) FROM enrolled_in($first_day, $last_day)",
        **window(period),
    )
    total.children, total.child_days = set(children or ()), int(days or 0)
    for (child, code), (_, _, _, better, worse) in found.changes.items():
        total.measured.add(child)
        if (child, code) not in found.claims:
            continue
        if better:
            total.better_children.add(child)
            total.better_off += 1
        if worse:
            total.worse_children.add(child)
            total.worse_off += 1
    return total
