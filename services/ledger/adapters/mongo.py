"""The ledger's MongoDB (FerretDB) adapters.

FerretDB only indexes `_id`, so everything hot is an `_id` lookup: transactions by id (and a
transaction's reversal by its computed id), snapshots by aggregate id, the enrolments of an
intervention through a roster document keyed by the intervention. Reports read the transactions
collection whole and answer in Python; that is one scan per report, never per transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.ledger.adapters.events import transaction_posted
from services.ledger.adapters.finance_records import note_written
from services.ledger.adapters.records import (
    Record,
    enrolment_from_record,
    enrolment_record,
    intervention_from_record,
    intervention_record,
    transaction_from_record,
    transaction_record,
)
from services.ledger.adapters.repository import (
    CommissioningView,
    DuplicateTransaction,
    TransactionRepository,
)
from services.ledger.domain.model import Transaction
from services.ledger.domain.terms import EnrolmentTerms, InterventionTerms
from shared.mongo import find_by_ids, keep_latest
from shared.outbox import OUTBOX_FIELD, Outbox

TRANSACTIONS = "transactions"
INTERVENTIONS = "interventions"
ENROLMENTS = "enrolments"
ROSTERS = "rosters"
ACCRUED_MONTHS = "accrued_months"
PROVIDERS = "providers"


class MongoTransactions(TransactionRepository):
    def __init__(self, db: Database[dict[str, Any]], outbox: Outbox) -> None:
        self.collection = db[TRANSACTIONS]
        self.outbox = outbox

    def add(self, txn: Transaction) -> None:
        try:
            self.outbox.insert(TRANSACTIONS, transaction_record(txn), [transaction_posted(txn)])
        except DuplicateKeyError as error:
            raise DuplicateTransaction(txn.transaction_id) from error
        note_written(self.collection.database, [(TRANSACTIONS, txn.transaction_id)])

    def get(self, transaction_id: str) -> Transaction | None:
        record = self.collection.find_one({"_id": transaction_id}, {OUTBOX_FIELD: 0})
        return transaction_from_record(record) if record else None

    def records(self) -> Iterator[Record]:
        return iter(self.collection.find({}, {OUTBOX_FIELD: 0}).sort("_id", 1))


class MongoCommissioningView(CommissioningView):
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.db = db
        # an intervention's provider never changes, so a posting need not read it again
        self._providers: dict[str, str] = {}

    def provider_of(self, intervention_id: str) -> str | None:
        if intervention_id not in self._providers:
            provider_id = super().provider_of(intervention_id)
            if provider_id is None:
                return None
            self._providers[intervention_id] = provider_id
        return self._providers[intervention_id]

    def save_intervention(self, terms: InterventionTerms) -> None:
        keep_latest(self.db[INTERVENTIONS], [intervention_record(terms)])

    def intervention(self, intervention_id: str) -> InterventionTerms | None:
        record = self.db[INTERVENTIONS].find_one({"_id": intervention_id})
        return intervention_from_record(record) if record else None

    def interventions(self) -> list[InterventionTerms]:
        return [intervention_from_record(r) for r in self.db[INTERVENTIONS].find().sort("_id")]

    def save_providers(self, records: Iterable[Record]) -> None:
        keep_latest(self.db[PROVIDERS], records)

    def provider_names(self) -> dict[str, str]:
        return {r["_id"]: r["name"] for r in self.db[PROVIDERS].find({}, {"name": 1})}

    def save_enrolments(self, snapshots: Iterable[EnrolmentTerms]) -> None:
        snapshots = list(snapshots)
        keep_latest(self.db[ENROLMENTS], [enrolment_record(t) for t in snapshots])
        rosters: dict[str, set[str]] = {}  # an enrolment never moves to another intervention
        for terms in snapshots:
            rosters.setdefault(terms.intervention_id, set()).add(terms.enrolment_id)
        if rosters:
            self.db[ROSTERS].bulk_write(
                [
                    UpdateOne(
                        {"_id": intervention_id},
                        {"$addToSet": {"enrolment_ids": {"$each": sorted(enrolment_ids)}}},
                        upsert=True,
                    )
                    for intervention_id, enrolment_ids in rosters.items()
                ]
            )

    def enrolments_of(self, intervention_id: str) -> list[EnrolmentTerms]:
        roster = self.db[ROSTERS].find_one({"_id": intervention_id}) or {}
        ids = roster.get("enrolment_ids", [])
        found = {record["_id"]: record for record in find_by_ids(self.db[ENROLMENTS], ids)}
        return [enrolment_from_record(found[id_]) for id_ in ids if id_ in found]

    def mark_accrued(self, months: list[date]) -> None:
        for first in months:
            self.db[ACCRUED_MONTHS].update_one(
                {"_id": first.isoformat()}, {"$set": {"month": first.isoformat()}}, upsert=True
            )

    def accrued_months(self) -> list[date]:
        return [date.fromisoformat(r["_id"]) for r in self.db[ACCRUED_MONTHS].find().sort("_id")]
