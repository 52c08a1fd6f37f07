"""Exceptions worth a finance officer's time, each a pure function of what the ledger knows.

- **High-cost placements**: per-child enrolments open on a day whose weekly cost (the weekly
  price, or seven times the daily one, in force that day) is at or above a threshold; with their
  cost from that day to their planned end or the year end (an open one runs to the year end).
- **Prices above the framework ceiling**: interventions whose price in force on a day, or any
  price recorded to take effect later, is above the ceiling for their category and pricing model.
- **Paying for what ended**: invoice lines (not reversed) whose service period runs past the
  child's enrolment on that intervention (or past the intervention's end), with the cost of the
  days past it; and accrued cost of days an intervention was suspended.
- **Budgets that will run out**: from the forecast (`forecast.Outturn.run_out_month`).

Amounts of days past an end or inside a suspension are prorated by day exactly and rounded once
per row, half to even.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from services.ledger.domain.accrual import exact_cost
from services.ledger.domain.calendar import ONE_DAY, Span
from services.ledger.domain.forecast import PER_CHILD, enrolment_span
from services.ledger.domain.history import Commissioning
from services.ledger.domain.model import Transaction
from services.ledger.domain.proration import prorate
from services.ledger.domain.reference import ceiling_key
from services.ledger.domain.terms import InterventionTerms
from shared.money import round_pence

DEFAULT_HIGH_COST_WEEKLY_PENCE = 1_000_000  # £10,000 a week (the LGA survey's line)


@dataclass(frozen=True)
class HighCostPlacement:
    child_ref: str
    enrolment_id: str
    intervention_id: str
    provider_id: str
    category: str
    weekly_cost_pence: int
    start_date: date
    planned_end_date: date | None
    cost_to_year_end_pence: int


def weekly_cost(terms: InterventionTerms, day: date) -> int | None:
    """What a week of one child costs on `day` (None for prices not per child)."""
    if terms.pricing_model == "per_child_week":
        return terms.price_on(day)
    if terms.pricing_model == "per_child_day":
        return 7 * terms.price_on(day)
    return None


def high_cost_placements(
    state: Commissioning, *, on: date, year_end: date, threshold_pence: int, open_ended_to: str
) -> list[HighCostPlacement]:
    """Placements open on `on` costing at least `threshold_pence` a week, dearest first; an
    enrolment with no end is open to the year end or its intervention's end (`open_ended_to`,
    as in the forecast)."""
    found = []
    window = (on, year_end)
    for intervention_id, terms in state.interventions.items():
        if terms.pricing_model not in PER_CHILD:
            continue
        weekly = weekly_cost(terms, on)
        if weekly is None or weekly < threshold_pence:
            continue
        for enrolment in state.enrolments_of(intervention_id):
            span = enrolment_span(terms, enrolment, window, open_ended_to)
            if span is None or span[0] != on:
                continue
            found.append(
                HighCostPlacement(
                    child_ref=enrolment.child_ref,
                    enrolment_id=enrolment.enrolment_id,
                    intervention_id=intervention_id,
                    provider_id=terms.provider_id,
                    category=terms.category,
                    weekly_cost_pence=weekly,
                    start_date=enrolment.start_date,
                    planned_end_date=enrolment.end_date,
                    cost_to_year_end_pence=round_pence(exact_cost(terms, span)),
                )
            )
    return sorted(found, key=lambda p: (-p.weekly_cost_pence, p.enrolment_id))


@dataclass(frozen=True)
class PriceAboveCeiling:
    intervention_id: str
    provider_id: str
    category: str
    pricing_model: str
    unit_price_pence: int
    effective_from: date
    ceiling_pence: int

    @property
    def excess_pence(self) -> int:
        return self.unit_price_pence - self.ceiling_pence


def prices_above_ceiling(
    interventions: Iterable[InterventionTerms], ceilings: Mapping[str, int | str], *, on: date
) -> list[PriceAboveCeiling]:
    """Interventions running on or after `on` with a price (in force then, or recorded for later)
    above their ceiling: the highest such price of each."""
    found = []
    for terms in interventions:
        ceiling = ceilings.get(ceiling_key(terms.category, terms.pricing_model))
        if not isinstance(ceiling, int) or terms.end_date < on:
            continue
        ordered = sorted(terms.prices, key=lambda p: p.effective_from)
        in_force = [p for p in ordered if p.effective_from <= on][-1:] or ordered[:1]
        candidates = in_force + [p for p in ordered if p.effective_from > on]
        dearest = max(candidates, key=lambda p: (p.unit_price_pence, -p.effective_from.toordinal()))
        if dearest.unit_price_pence > ceiling:
            found.append(
                PriceAboveCeiling(
                    intervention_id=terms.intervention_id,
                    provider_id=terms.provider_id,
                    category=terms.category,
                    pricing_model=terms.pricing_model,
                    unit_price_pence=dearest.unit_price_pence,
                    effective_from=max(dearest.effective_from, terms.start_date),
                    ceiling_pence=ceiling,
                )
            )
    return sorted(found, key=lambda p: (-p.excess_pence, p.intervention_id))


@dataclass(frozen=True)
class InvoicedAfterEnd:
    transaction_id: str
    invoice_number: str | None
    intervention_id: str
    provider_id: str
    child_ref: str | None
    service_period_start: date
    service_period_end: date
    ended_on: date
    what_ended: str  # "enrolment" or "intervention"
    cost_after_end_pence: int


def _child_last_days(state: Commissioning) -> dict[tuple[str, str], date | None]:
    """The last enrolled day of each (intervention, child): None while one is open."""
    last: dict[tuple[str, str], date | None] = {}
    for intervention_id, enrolments in state.enrolments.items():
        for enrolment in enrolments:
            key = (intervention_id, enrolment.child_ref)
            if key in last and last[key] is None:
                continue
            end = enrolment.end_date
            last[key] = None if end is None else max(end, last.get(key) or end)
    return last


def invoiced_after_end(
    transactions: Iterable[Transaction], state: Commissioning
) -> list[InvoicedAfterEnd]:
    """Lines of invoices (reversed ones left out) paying for days after what they pay for ended."""
    transactions = list(transactions)
    reversed_ids = {t.reverses for t in transactions if t.reverses}
    last_days = _child_last_days(state)
    found = []
    for txn in transactions:
        if txn.kind != "invoice" or txn.transaction_id in reversed_ids:
            continue
        terms = state.interventions.get(txn.intervention_id or "")
        if terms is None:
            continue
        for line in txn.lines:
            ended_on, what = terms.end_date, "intervention"
            child_last = last_days.get((terms.intervention_id, line.child_ref or ""))
            if line.child_ref is not None and child_last is not None and child_last < ended_on:
                ended_on, what = child_last, "enrolment"
            if line.end <= ended_on:
                continue
            span = (line.start, line.end)
            found.append(
                InvoicedAfterEnd(
                    transaction_id=txn.transaction_id,
                    invoice_number=txn.invoice_number,
                    intervention_id=terms.intervention_id,
                    provider_id=terms.provider_id,
                    child_ref=line.child_ref,
                    service_period_start=line.start,
                    service_period_end=line.end,
                    ended_on=ended_on,
                    what_ended=what,
                    cost_after_end_pence=round_pence(
                        prorate(line.cost_pence, span, (ended_on + ONE_DAY, line.end))
                    ),
                )
            )
    return sorted(
        found, key=lambda f: (f.intervention_id, f.service_period_start, f.transaction_id)
    )


@dataclass(frozen=True)
class AccruedWhileSuspended:
    intervention_id: str
    provider_id: str
    suspended_from: date
    suspended_to: date
    accrued_pence: int


def accrued_while_suspended(
    transactions: Iterable[Transaction], state: Commissioning
) -> list[AccruedWhileSuspended]:
    """Net accrued cost of the days each suspension lasted (reversals and corrections netted)."""
    exact: dict[tuple[str, Span], Fraction] = defaultdict(Fraction)
    for txn in transactions:
        spans = state.suspensions.get(txn.intervention_id or "")
        if txn.basis != "accrued" or not spans:
            continue
        for line in txn.lines:
            for suspension in spans:
                exact[(txn.intervention_id or "", suspension)] += prorate(
                    line.cost_pence, (line.start, line.end), suspension
                )
    found = []
    for (intervention_id, suspension), amount in sorted(exact.items()):
        pence = round_pence(amount)
        if pence > 0:
            found.append(
                AccruedWhileSuspended(
                    intervention_id=intervention_id,
                    provider_id=state.interventions[intervention_id].provider_id,
                    suspended_from=suspension[0],
                    suspended_to=suspension[1],
                    accrued_pence=pence,
                )
            )
    return found
