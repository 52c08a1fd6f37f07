"""Steps 2 and 3 together: every child's change in scope, and who it is attributed to.

A county has some 50,000 changes in a year, so a period's changes and their claims are columns
(`Measured`). Most changes are claimed by one intervention, whole by every rule; only those more
than one claims are shared by the rule (`Shares`). An outcome object per change is made only for
a reader who asks for the list (`child_outcomes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from gmpy2 import mpq

from services.value.domain.attribution import COST_SHARE, check_rule, weighed
from services.value.domain.change import Change, Changes, changes_of
from services.value.domain.columns import Names, Rows
from services.value.domain.model import Facts, Period
from services.value.domain.prepared import Prepared, prepared
from services.value.domain.rationals import WHOLE, as_fraction, over


@dataclass(frozen=True, slots=True)
class ChildOutcome:
    child_ref: str
    indicator_code: str
    change: Change
    shares: dict[str, Fraction]  # intervention -> share; empty: nobody to attribute it to


class Measured(NamedTuple):
    """A period's changes in scope, sorted by indicator then child, and their claims: each
    intervention targeting the change's indicator that the child was enrolled on during the period
    and in the change's window, with its enrolled days in the window. Claims are sorted by change,
    then intervention (in the order the facts list them)."""

    changes: Changes
    child: Rows  # each change's child, as a position in `children`
    code: Rows  # its indicator, as a position in `codes`
    children: Names
    codes: list[str]
    claim_of: Rows  # each claim's change
    intervention: Rows  # the claiming intervention, as a position in `interventions`
    days: Rows  # its enrolled days in the change's window
    interventions: list[str]
    claimants: Rows  # how many claims each change has

    def shared_claims(self) -> Rows:
        """The claims on changes more than one intervention claims."""
        return np.flatnonzero(self.claimants[self.claim_of] > 1)


class Shares(NamedTuple):
    """A rule's shares of the claims on changes more than one intervention claims (every other
    claim is whole, by every rule)."""

    claims: Rows  # positions in `Measured`'s claims
    share: npt.NDArray[np.object_]  # alongside: `mpq`s


def measured(facts: Facts | Prepared, period: Period, *, window_days: int) -> Measured:
    """The period's changes and claims: the same for every rule, so worked out once for it."""
    arranged = prepared(facts)
    return arranged.remember(
        ("changes", period, window_days), lambda: _measure(arranged, period, window_days)
    )


def rule_shares(facts: Facts | Prepared, period: Period, *, rule: str, window_days: int) -> Shares:
    """The shares `rule` gives the claims on the period's changes that more than one
    intervention claims. Cost share weighs each claimant's spend on the child in the change's
    window."""
    check_rule(rule)
    arranged = prepared(facts)
    return arranged.remember(
        ("shares", period, rule, window_days),
        lambda: _shares(arranged, measured(arranged, period, window_days=window_days), rule),
    )


def child_outcomes(
    facts: Facts | Prepared, period: Period, *, rule: str, window_days: int
) -> list[ChildOutcome]:
    """A child is in scope for indicator i when enrolled during `period` on an intervention
    that targets i. Attribution goes to the interventions targeting i the child was enrolled on
    during `period` and between the baseline date and the latest observation's date."""
    arranged = prepared(facts)
    found = measured(arranged, period, window_days=window_days)
    by_rule = rule_shares(arranged, period, rule=rule, window_days=window_days)
    share_of = dict(zip(by_rule.claims.tolist(), by_rule.share, strict=True))
    claims_of = np.searchsorted(found.claim_of, np.arange(found.changes.count + 1))
    claimant = [found.interventions[k] for k in found.intervention.tolist()]
    outcomes = []
    for n, (child, code) in enumerate(zip(found.child.tolist(), found.code.tolist(), strict=True)):
        claims = range(claims_of[n], claims_of[n + 1])
        outcomes.append(
            ChildOutcome(
                found.children[child],
                found.codes[code],
                found.changes.change(n),
                {claimant[c]: as_fraction(share_of.get(c, WHOLE)) for c in claims},
            )
        )
    return outcomes


def _shares(arranged: Prepared, found: Measured, rule: str) -> Shares:
    """Each shared change's claims weighed together by `rule` (cost share: each claimant's
    spend on the child in the change's window, all asked of the spend index at once)."""
    claims = found.shared_claims()
    change = found.claim_of[claims]
    spend = None  # only cost share weighs spend
    if rule == COST_SHARE:
        index = arranged.spend
        claimant = np.array(found.interventions, dtype=object)[found.intervention[claims]]
        child = found.children[found.child[change]]
        named = zip(claimant.tolist(), child.tolist(), strict=True)
        pair = np.array([index.position.get(p, -1) for p in named], dtype=np.int64)
        held = np.flatnonzero(pair >= 0)
        scaled = index.scaled_in(
            pair[held],
            found.changes.baseline_day[change[held]],
            found.changes.latest_day[change[held]],
        )
        spend = np.full(len(claims), mpq(0), dtype=object)
        spend[held] = over(scaled, index.denominators[index.denominator[pair[held]]])
    return Shares(claims, weighed(rule=rule, change=change, days=found.days[claims], spend=spend))


def _measure(arranged: Prepared, period: Period, window_days: int) -> Measured:
    """A child's series of an indicator is in scope when they were enrolled during `period` on
    an intervention targeting it; its baseline is looked for from the first start of those
    enrolments."""
    table, reach, series = arranged.observed, arranged.reach, arranged.reach_series
    in_period = (
        (reach.start <= period.end.toordinal())
        & (reach.end >= period.start.toordinal())
        & (series >= 0)
    )
    never = np.iinfo(np.int64).max
    first_start = np.full(table.series_count, never, dtype=np.int64)
    np.minimum.at(first_start, series[in_period], reach.start[in_period])
    scoped = np.flatnonzero(first_start < never)
    found = changes_of(
        table,
        arranged.facts.indicators,
        scoped,
        first_start[scoped],
        period_end=period.end,
        window_days=window_days,
    )
    # by indicator, then child: the table's names are sorted, so their positions sort as they do
    child, code = np.divmod(table.series_pair[found.series], max(len(table.codes), 1))
    order = np.lexsort((child, code))
    found, child, code = found.take(order), child[order], code[order]

    # the enrolled days in each change's window, per intervention: each reach row of a series
    # with a change, where it overlaps the window
    change_of_series = np.full(table.series_count, -1, dtype=np.int64)
    change_of_series[found.series] = np.arange(found.count)
    rows = np.flatnonzero(series >= 0)
    change = change_of_series[series[rows]]
    rows, change = rows[change >= 0], change[change >= 0]
    overlap = (
        np.minimum(reach.end[rows], found.latest_day[change])
        - np.maximum(reach.start[rows], found.baseline_day[change])
        + 1
    )
    # method 1.1: only an intervention the child was enrolled on during the period claims (any
    # of its rows for the series may show that, not only the rows overlapping the window)
    interventions = max(len(arranged.facts.interventions), 1)
    pair = change * interventions + reach.intervention[rows]
    in_period = (reach.start[rows] <= period.end.toordinal()) & (
        reach.end[rows] >= period.start.toordinal()
    )
    claiming = (overlap > 0) & np.isin(pair, pair[in_period])
    # a child's merged periods on one intervention are separate rows: one claim per intervention
    claim, at = np.unique(pair[claiming], return_inverse=True)
    days = np.zeros(len(claim), dtype=np.int64)
    np.add.at(days, at, overlap[claiming])
    claim_of, claimant = np.divmod(claim, interventions)
    return Measured(
        found,
        child,
        code,
        np.array(table.children, dtype=object),
        table.codes,
        claim_of,
        claimant,
        days,
        list(arranged.facts.interventions),
        np.bincount(claim_of, minlength=found.count),
    )
