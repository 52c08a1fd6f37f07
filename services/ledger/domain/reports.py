"""The questions finance asks, answered from transactions by pure functions.

Spend is the cost lines on the chosen basis. A line is spread evenly over the days of its service
period, so a line is split between months, quarters or years, or cut to a date window, by days of
overlap, exactly (`Fraction`), and each group is rounded only at the end with the largest-remainder
method: the groups always add up to the (rounded) exact total, to the penny.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from services.ledger.domain import model
from services.ledger.domain.calendar import (
    Span,
    financial_year,
    month_key,
    overlap,
    quarter,
    split_by_financial_year,
    split_by_month,
)
from services.ledger.domain.model import CostLine, Transaction
from services.ledger.domain.proration import apportion_exact, prorate
from services.ledger.domain.terms import InterventionTerms

GROUPINGS = ("intervention", "provider", "category", "child", "financial_year", "quarter", "month")
_PERIOD_KEYS: dict[str, Callable[[date], str]] = {
    "financial_year": financial_year,
    "quarter": quarter,
    "month": month_key,
}


def balances(transactions: Iterable[Transaction], as_of: date | None = None) -> dict[str, int]:
    """Balance of every account from transactions with an accounting date on or before `as_of`."""
    totals: dict[str, int] = defaultdict(int)
    for txn in transactions:
        if as_of is None or txn.accounting_date <= as_of:
            for posting in txn.postings:
                totals[posting.account] += posting.amount_pence
    return dict(sorted(totals.items()))


def _pieces(span: Span, grouping: str) -> list[tuple[str, Span]]:
    if grouping == "month":
        return [(month_key(part[0]), part) for part in split_by_month(span)]
    if grouping == "financial_year":
        return [(financial_year(part[0]), part) for part in split_by_financial_year(span)]
    # quarters never straddle months: split by month, then name the quarter
    return [(quarter(part[0]), part) for part in split_by_month(span)]


def spend(
    transactions: Iterable[Transaction],
    *,
    basis: str,
    group_by: str,
    interventions: Mapping[str, InterventionTerms],
    window: Span | None = None,
) -> dict[str | None, int]:
    """Spend on `basis` per group, optionally only the part of each line inside `window`."""
    exact: dict[str | None, Fraction] = defaultdict(Fraction)
    for txn in transactions:
        if txn.basis != basis:
            continue
        for line in txn.lines:
            span = (line.start, line.end)
            whole = overlap(span, window) if window else span
            if not whole:
                continue
            if group_by in _PERIOD_KEYS:
                for key, part in _pieces(whole, group_by):
                    exact[key] += prorate(line.cost_pence, span, part)
            else:
                exact[_group_key(txn, line, group_by, interventions)] += prorate(
                    line.cost_pence, span, whole
                )
    return apportion_exact(exact)


def _group_key(
    txn: Transaction,
    line: CostLine,
    group_by: str,
    interventions: Mapping[str, InterventionTerms],
) -> str | None:
    if group_by == "intervention":
        return txn.intervention_id
    if group_by == "provider":
        return txn.provider_id
    if group_by == "child":
        return line.child_ref
    terms = interventions.get(txn.intervention_id or "")
    return terms.category if terms else None


@dataclass(frozen=True)
class Match:
    """Accrued against invoiced cost of one child (or untagged cost) in one month."""

    child_ref: str | None
    month: str
    accrued_pence: int
    invoiced_pence: int

    @property
    def difference_pence(self) -> int:
        return self.invoiced_pence - self.accrued_pence


def invoice_matches(
    transactions: Iterable[Transaction], *, intervention_id: str, window: Span | None = None
) -> list[Match]:
    """Invoices matched against accruals of one intervention, per child and calendar month."""
    exact: dict[str, dict[tuple[str | None, str], Fraction]] = {
        "accrued": defaultdict(Fraction),
        "invoiced": defaultdict(Fraction),
    }
    for txn in transactions:
        if txn.intervention_id != intervention_id or txn.basis not in exact:
            continue
        for line in txn.lines:
            span = (line.start, line.end)
            for part in split_by_month(span):
                if window is None or overlap(part, window) == part:
                    key = (line.child_ref, month_key(part[0]))
                    exact[txn.basis][key] += prorate(line.cost_pence, span, part)
    accrued, invoiced = (apportion_exact(exact[basis]) for basis in ("accrued", "invoiced"))
    keys = sorted(set(accrued) | set(invoiced), key=lambda k: (k[1], k[0] or ""))
    return [
        Match(child, month, accrued.get((child, month), 0), invoiced.get((child, month), 0))
        for child, month in keys
    ]


@dataclass(frozen=True)
class BudgetLine:
    intervention_id: str
    provider_id: str
    budget_pence: int
    committed_pence: int
    outstanding_commitment_pence: int
    actual_pence: int

    @property
    def remaining_pence(self) -> int:
        return self.budget_pence - self.actual_pence


def budget_report(
    transactions: list[Transaction], *, interventions: Iterable[InterventionTerms], basis: str
) -> list[BudgetLine]:
    """Budget against actual spend on `basis`, per intervention, with what is still committed."""
    committed: dict[str | None, int] = defaultdict(int)
    actual: dict[str | None, int] = defaultdict(int)
    for txn in transactions:
        if txn.basis == "committed":
            committed[txn.intervention_id] += txn.cost_pence
        if txn.basis == basis:
            actual[txn.intervention_id] += txn.cost_pence
    open_commitments = balances(transactions)
    return [
        BudgetLine(
            intervention_id=terms.intervention_id,
            provider_id=terms.provider_id,
            budget_pence=terms.budget_pence,
            committed_pence=committed[terms.intervention_id],
            outstanding_commitment_pence=open_commitments.get(
                model.commitment(terms.intervention_id), 0
            ),
            actual_pence=actual[terms.intervention_id],
        )
        for terms in sorted(interventions, key=lambda t: t.intervention_id)
    ]
