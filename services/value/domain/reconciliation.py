"""Reconciliation: the report's spend against the ledger's own figure, transaction by transaction.

The ledger's figure prorates each line by the calendar days of its service period that fall in
the report's period. The report's figure is what the method allocated into the period (a block
cost follows the enrolled child-days, so a period that cuts a service period can differ); the
whole-period totals always agree because allocation loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from services.value.domain.model import Facts, Period
from services.value.domain.queries import Source, exact_sum, exact_sums, source_of, window


@dataclass(frozen=True)
class TransactionFigures:
    transaction_id: str
    ledger: Fraction
    report: Fraction


@dataclass(frozen=True)
class Reconciliation:
    per_transaction: list[TransactionFigures]

    @cached_property
    def ledger_total(self) -> Fraction:
        return exact_sum((t.ledger.numerator, t.ledger.denominator) for t in self.per_transaction)

    @cached_property
    def report_total(self) -> Fraction:
        return exact_sum((t.report.numerator, t.report.denominator) for t in self.per_transaction)

    @property
    def differences(self) -> list[TransactionFigures]:
        return [t for t in self.per_transaction if t.ledger != t.report]


def reconcile(facts: Facts | Source, period: Period) -> Reconciliation:
    source = source_of(facts)
    ledger = exact_sums(
        source.rows(
            """SELECT transaction_id, sum(cost_pence::HUGEINT * (least(service_period_end,
                    $last_day) - greatest(service_period_start, $first_day) + 1)),
                service_period_end - service_period_start + 1 AS days
            FROM ledger_lines WHERE basis = $basis
                AND service_period_start <= $last_day AND service_period_end >= $first_day
            GROUP BY transaction_id, days""",
            basis=source.basis,
            **window(period),
        )
    )
    report = exact_sums(
        source.rows(
            """SELECT transaction_id, sum(numerator::HUGEINT * (least(end_date, $last_day)
                    - greatest(start_date, $first_day) + 1)), denominator
            FROM segments($basis) WHERE start_date <= $last_day AND end_date >= $first_day
            GROUP BY transaction_id, denominator""",
            basis=source.basis,
            **window(period),
        )
    )
    zero = Fraction(0)
    touched = sorted(t for t in {*ledger, *report} if ledger.get(t) or report.get(t))
    return Reconciliation(
        [TransactionFigures(t, ledger.get(t, zero), report.get(t, zero)) for t in touched]
    )
