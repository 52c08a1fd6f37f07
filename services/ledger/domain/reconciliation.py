"""Proof that the books balance, and a list of every transaction that breaks a rule.

Checks: each stored transaction's own rules (`model.rule_violations`: postings sum to zero, lines
agree with the postings on their basis, ...), by reading it back; every reversal reverses an
existing, non-reversal transaction, exactly negated, under the one id a reversal of it can have;
the trial balance (every stored posting) is zero; the expense accounts equal the accrued lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.ledger.domain import model
from services.ledger.domain.entries import net_lines
from services.ledger.domain.model import Transaction


@dataclass(frozen=True)
class Violation:
    transaction_id: str
    rule: str
    detail: str


@dataclass
class Reconciliation:
    transactions: int = 0
    trial_balance_pence: int = 0
    expense_pence: int = 0
    cost_by_basis: dict[str, int] = field(default_factory=lambda: dict.fromkeys(model.BASES, 0))
    violations: list[Violation] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return (
            self.trial_balance_pence == 0
            and self.expense_pence == self.cost_by_basis["accrued"]
            and not self.violations
        )


def reconcile(
    transactions: Iterable[Transaction],
    *,
    unreadable: Iterable[Violation] = (),
    stored_trial_balance_pence: int = 0,
) -> Reconciliation:
    """Check the books. Each `Transaction` has passed its own rules when it was built, so those
    that fail them arrive as `unreadable` (stored records that cannot be read back); the trial
    balance is the sum of every stored posting, readable or not."""
    result = Reconciliation(
        violations=list(unreadable), trial_balance_pence=stored_trial_balance_pence
    )
    result.transactions = len(result.violations)
    by_id = {}
    for txn in transactions:
        by_id[txn.transaction_id] = txn
        result.transactions += 1
        result.expense_pence += sum(
            p.amount_pence for p in txn.postings if model.account_type(p.account) == "expense"
        )
        result.cost_by_basis[txn.basis] += txn.cost_pence
    for txn in by_id.values():
        if txn.kind == "reversal":
            result.violations.extend(_reversal_problems(txn, by_id))
    return result


def _reversal_problems(txn: Transaction, by_id: dict[str, Transaction]) -> list[Violation]:
    original = by_id.get(txn.reverses or "")
    if original is None:
        return [Violation(txn.transaction_id, "reverses", f"{txn.reverses} is not in the ledger")]
    problems = []
    if txn.transaction_id != model.reversal_id(original.transaction_id):
        problems.append(Violation(txn.transaction_id, "reverses", "not the reversal's own id"))
    if original.kind == "reversal":
        problems.append(Violation(txn.transaction_id, "reverses", "reverses a reversal"))
    negated = {(p.account, -p.amount_pence) for p in original.postings}
    if {(p.account, p.amount_pence) for p in txn.postings} != negated:
        problems.append(Violation(txn.transaction_id, "postings", "not the original negated"))
    if net_lines(txn.lines) != net_lines(line.negated() for line in original.lines):
        problems.append(Violation(txn.transaction_id, "lines", "not the original negated"))
    if txn.basis != original.basis:
        problems.append(Violation(txn.transaction_id, "basis", "not the original's basis"))
    return problems
