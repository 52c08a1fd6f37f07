"""Read-side use cases: what finance (and, narrowed, commissioners and providers) can ask."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from services.ledger.adapters.finance_records import AsAt
from services.ledger.domain import reports
from services.ledger.domain.calendar import Span
from services.ledger.domain.model import NotFound, Transaction
from services.ledger.domain.reconciliation import Reconciliation, reconcile
from services.ledger.service_layer.handlers import Ledger


@dataclass(frozen=True)
class TransactionFilter:
    intervention_id: str | None = None
    provider_id: str | None = None
    kind: str | None = None
    child_ref: str | None = None

    def admits(self, txn: Transaction) -> bool:
        return (
            (self.intervention_id is None or txn.intervention_id == self.intervention_id)
            and (self.provider_id is None or txn.provider_id == self.provider_id)
            and (self.kind is None or txn.kind == self.kind)
            and (self.child_ref is None or any(x.child_ref == self.child_ref for x in txn.lines))
        )


def list_transactions(where: TransactionFilter, view: AsAt) -> list[Transaction]:
    """Matching transactions recorded by the view's moment, oldest accounting date first.

    A listing narrowed to an intervention or a provider (a drill-down, a provider's invoices)
    reads only that one's transactions, from an index the view works out once for its facts."""
    candidates: list[Transaction] = view.transactions
    for attribute in ("intervention_id", "provider_id"):
        wanted = getattr(where, attribute)
        if wanted is not None:
            candidates = _index_by(view, attribute).get(wanted, [])
            break
    found = [txn for txn in candidates if where.admits(txn)]
    return sorted(found, key=lambda t: (t.accounting_date, t.posted_at, t.transaction_id))


def _index_by(view: AsAt, attribute: str) -> dict[str | None, list[Transaction]]:
    def build() -> dict[str | None, list[Transaction]]:
        index: dict[str | None, list[Transaction]] = defaultdict(list)
        for txn in view.transactions:
            index[getattr(txn, attribute)].append(txn)
        return dict(index)

    index: dict[str | None, list[Transaction]] = view.remembered(("by", attribute), build)
    return index


def get_transaction(
    transaction_id: str, *, ledger: Ledger, provider_id: str | None = None
) -> Transaction:
    """One transaction; a provider caller only sees its own (others are simply not found)."""
    txn = ledger.transactions.get(transaction_id)
    if txn is None or (provider_id is not None and txn.provider_id != provider_id):
        raise NotFound("transaction_id", f"transaction {transaction_id!r} is not in the ledger")
    return txn


def account_balances(
    view: AsAt, *, as_of: date | None = None, account: str | None = None
) -> dict[str, int]:
    balances = reports.balances(view.transactions, as_of)
    if account is not None:
        return {account: balances.get(account, 0)}
    return balances


def spend(
    view: AsAt,
    *,
    basis: str,
    group_by: str,
    window: Span | None = None,
    where: TransactionFilter | None = None,
) -> dict[str | None, int]:
    where = where or TransactionFilter()
    return reports.spend(
        [txn for txn in view.transactions if where.admits(txn)],
        basis=basis,
        group_by=group_by,
        interventions=view.commissioning.interventions,
        window=window,
    )


def budgets(view: AsAt, *, basis: str, provider_id: str | None = None) -> list[reports.BudgetLine]:
    interventions = [
        t
        for t in view.commissioning.interventions.values()
        if provider_id is None or t.provider_id == provider_id
    ]
    return reports.budget_report(view.transactions, interventions=interventions, basis=basis)


def invoice_matches(
    intervention_id: str, view: AsAt, *, window: Span | None = None
) -> list[reports.Match]:
    return reports.invoice_matches(
        view.transactions, intervention_id=intervention_id, window=window
    )


def reconciliation(*, ledger: Ledger, moment: datetime | None = None) -> Reconciliation:
    """The books as stored by `moment` (records posted later are left out, readable or not)."""
    books = ledger.transactions.read(moment)
    return reconcile(
        books.transactions,
        unreadable=books.unreadable,
        stored_trial_balance_pence=books.trial_balance_pence,
    )
