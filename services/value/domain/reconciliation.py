"""Reconciliation: the report's spend against the ledger's own figure, transaction by transaction.

The ledger's figure prorates each line by the calendar days of its service period that fall in
the report's period. The report's figure is what the method allocated into the period (a block
cost follows the enrolled child-days, so a period that cuts a service period can differ); the
whole-period totals always agree because allocation loses nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from services.value.domain.cost_lines import CostLineTable
from services.value.domain.model import Facts, Period
from services.value.domain.spend import EnrolledRows, allocate, enrolled_periods


@dataclass(frozen=True)
class TransactionFigures:
    transaction_id: str
    ledger: Fraction
    report: Fraction


@dataclass(frozen=True)
class Reconciliation:
    per_transaction: list[TransactionFigures]

    @property
    def ledger_total(self) -> Fraction:
        return sum((t.ledger for t in self.per_transaction), Fraction(0))

    @property
    def report_total(self) -> Fraction:
        return sum((t.report for t in self.per_transaction), Fraction(0))

    @property
    def differences(self) -> list[TransactionFigures]:
        return [t for t in self.per_transaction if t.ledger != t.report]


def reconcile(facts: Facts, period: Period) -> Reconciliation:
    lines = CostLineTable.of(facts.lines)
    ledger: dict[str, Fraction] = defaultdict(Fraction)
    report: dict[str, Fraction] = defaultdict(Fraction)
    for row, amount in enumerate(lines.amounts_in(period)):
        ledger[lines.transaction_ids[lines.transaction[row]]] += amount
    segments = allocate(lines, EnrolledRows.of(enrolled_periods(facts.enrolments)))
    for row, amount in zip(segments.line.tolist(), segments.amounts_in(period), strict=True):
        report[lines.transaction_ids[lines.transaction[row]]] += amount
    touched = sorted(t for t in set(ledger) | set(report) if ledger[t] or report[t])
    return Reconciliation([TransactionFigures(t, ledger[t], report[t]) for t in touched])
