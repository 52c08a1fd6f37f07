"""Where the ledger keeps its transactions and its view of commissioning: the contracts, and
in-memory fakes that keep them (the same contract tests run against the fakes and MongoDB)."""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from services.ledger.adapters.events import transaction_posted
from services.ledger.adapters.records import Record, transaction_from_record, transaction_record
from services.ledger.domain.model import RuleBroken, Transaction
from services.ledger.domain.reconciliation import Violation
from services.ledger.domain.terms import EnrolmentTerms, InterventionTerms
from shared.events.envelope import Envelope


class DuplicateTransaction(Exception):
    """A transaction with this id is already in the ledger (a retry, or a race lost)."""


class TransactionRepository(abc.ABC):
    """Append-only: transactions are added, never changed or removed."""

    @abc.abstractmethod
    def add(self, txn: Transaction) -> None:
        """Store `txn` and its `transaction_posted` event in one write; raise
        `DuplicateTransaction` if its id is taken (enforced by the unique `_id`, not a check)."""

    @abc.abstractmethod
    def get(self, transaction_id: str) -> Transaction | None: ...

    @abc.abstractmethod
    def records(self) -> Iterator[Record]:
        """Every stored record, as stored."""

    def all(self) -> list[Transaction]:
        return self.read().transactions

    def read(self, moment: datetime | None = None) -> StoredBooks:
        """Everything stored (by `moment`, if given), in one pass: what reads back as
        transactions, what does not (a record changed behind the ledger's back), and the sum of
        every stored posting."""
        books = StoredBooks()
        for record in self.records():
            posted_at = record.get("posted_at")
            if moment is not None and isinstance(posted_at, datetime) and posted_at > moment:
                continue
            books.trial_balance_pence += sum(
                p.get("amount_pence", 0)
                for p in record.get("postings", [])
                if isinstance(p.get("amount_pence"), int)
            )
            try:
                books.transactions.append(transaction_from_record(record))
            except RuleBroken as error:
                books.unreadable.append(Violation(str(record["_id"]), error.field, error.reason))
            except (KeyError, TypeError, ValueError) as error:
                books.unreadable.append(Violation(str(record["_id"]), "record", repr(error)))
        return books


@dataclass
class StoredBooks:
    transactions: list[Transaction] = field(default_factory=list)
    unreadable: list[Violation] = field(default_factory=list)
    trial_balance_pence: int = 0


class CommissioningView(abc.ABC):
    """The latest snapshot of each intervention and enrolment, and which months were accrued."""

    @abc.abstractmethod
    def save_intervention(self, terms: InterventionTerms) -> None:
        """Keep `terms` unless a snapshot with the same or a higher version is already kept."""

    @abc.abstractmethod
    def intervention(self, intervention_id: str) -> InterventionTerms | None: ...

    def provider_of(self, intervention_id: str) -> str | None:
        """The provider of a known intervention (None if unknown): it never changes."""
        terms = self.intervention(intervention_id)
        return None if terms is None else terms.provider_id

    @abc.abstractmethod
    def interventions(self) -> list[InterventionTerms]: ...

    @abc.abstractmethod
    def save_providers(self, records: Iterable[Record]) -> None:
        """Keep each provider's name (`_id`, `name`, `version`): the highest version wins."""

    @abc.abstractmethod
    def provider_names(self) -> dict[str, str]: ...

    @abc.abstractmethod
    def save_enrolments(self, snapshots: Iterable[EnrolmentTerms]) -> None:
        """As `save_intervention` for each, and list each enrolment under its intervention."""

    @abc.abstractmethod
    def enrolments_of(self, intervention_id: str) -> list[EnrolmentTerms]: ...

    @abc.abstractmethod
    def mark_accrued(self, months: list[date]) -> None:
        """Remember that accruals were run for these months (first days)."""

    @abc.abstractmethod
    def accrued_months(self) -> list[date]: ...


class FakeTransactions(TransactionRepository):
    def __init__(self) -> None:
        self.stored: dict[str, Record] = {}
        self.published: list[Envelope] = []
        self._unique_id = threading.Lock()  # what the unique `_id` index is to the database

    def add(self, txn: Transaction) -> None:
        with self._unique_id:
            if txn.transaction_id in self.stored:
                raise DuplicateTransaction(txn.transaction_id)
            self.stored[txn.transaction_id] = transaction_record(txn)
            self.published.append(transaction_posted(txn))

    def get(self, transaction_id: str) -> Transaction | None:
        record = self.stored.get(transaction_id)
        return transaction_from_record(record) if record else None

    def records(self) -> Iterator[Record]:
        return iter(list(self.stored.values()))


class FakeCommissioningView(CommissioningView):
    def __init__(self) -> None:
        self._interventions: dict[str, InterventionTerms] = {}
        self._enrolments: dict[str, EnrolmentTerms] = {}
        self._months: set[date] = set()
        self._providers: dict[str, Record] = {}

    def save_providers(self, records: Iterable[Record]) -> None:
        for record in records:
            kept = self._providers.get(record["_id"])
            if kept is None or kept["version"] < record["version"]:
                self._providers[record["_id"]] = record

    def provider_names(self) -> dict[str, str]:
        return {key: record["name"] for key, record in self._providers.items()}

    def save_intervention(self, terms: InterventionTerms) -> None:
        kept = self._interventions.get(terms.intervention_id)
        if kept is None or kept.version < terms.version:
            self._interventions[terms.intervention_id] = terms

    def intervention(self, intervention_id: str) -> InterventionTerms | None:
        return self._interventions.get(intervention_id)

    def interventions(self) -> list[InterventionTerms]:
        return list(self._interventions.values())

    def save_enrolments(self, snapshots: Iterable[EnrolmentTerms]) -> None:
        for terms in snapshots:
            kept = self._enrolments.get(terms.enrolment_id)
            if kept is None or kept.version < terms.version:
                self._enrolments[terms.enrolment_id] = terms

    def enrolments_of(self, intervention_id: str) -> list[EnrolmentTerms]:
        return [e for e in self._enrolments.values() if e.intervention_id == intervention_id]

    def mark_accrued(self, months: list[date]) -> None:
        self._months.update(months)

    def accrued_months(self) -> list[date]:
        return sorted(self._months)
