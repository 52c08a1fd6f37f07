"""One contract for the repositories, run against the in-memory fakes and the real database, so
the fakes the unit tests rely on behave like MongoDB (FerretDB) does."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest

from services.ledger.adapters.finance_records import FakeFinanceRecords
from services.ledger.adapters.mongo import MongoCommissioningView, MongoTransactions
from services.ledger.adapters.repository import (
    CommissioningView,
    DuplicateTransaction,
    FakeCommissioningView,
    FakeTransactions,
    TransactionRepository,
)
from services.ledger.domain import entries
from services.ledger.domain.model import Conflict, CostLine
from services.ledger.service_layer import handlers
from services.ledger.service_layer.commands import ReverseTransaction
from services.ledger.service_layer.handlers import Ledger
from shared.outbox import Outbox
from tests.ledger.builders import FIXED_NOW, enrolment, intervention

Stores = tuple[TransactionRepository, CommissioningView]


@pytest.fixture(params=["fake", pytest.param("mongo", marks=pytest.mark.integration)])
def stores(request: pytest.FixtureRequest) -> Stores:
    if request.param == "fake":
        return FakeTransactions(), FakeCommissioningView()
    db = request.getfixturevalue("make_db")("ledger_repo")
    return MongoTransactions(db, Outbox(db)), MongoCommissioningView(db)


def payment(txn_id: str, amount: int = 1_000) -> Any:
    tags = entries.Tags(txn_id, "iv-1", "prov-1", date(2025, 1, 31), "s", "d", FIXED_NOW)
    line = CostLine("C001", date(2025, 1, 1), date(2025, 1, 31), amount)
    return entries.build("payment", tags, [line])


def test_transactions_are_added_once_and_read_back_unchanged(stores: Stores) -> None:
    transactions, _ = stores
    txn = payment("t-1")
    transactions.add(txn)
    with pytest.raises(DuplicateTransaction):
        transactions.add(payment("t-1", amount=5))
    assert transactions.get("t-1") == txn
    assert transactions.get("t-2") is None
    assert transactions.all() == [txn]
    assert transactions.read().unreadable == []


def test_snapshots_keep_the_highest_version(stores: Stores) -> None:
    _, view = stores
    view.save_intervention(intervention(budget_pence=2, version=2))
    view.save_intervention(intervention(budget_pence=1, version=1))
    view.save_intervention(intervention(budget_pence=3, version=2))
    assert view.intervention("iv-1") == intervention(budget_pence=2, version=2)
    view.save_intervention(intervention(budget_pence=4, version=3))
    assert [t.budget_pence for t in view.interventions()] == [4]
    assert view.intervention("iv-9") is None


def test_an_interventions_provider_is_known_once_its_snapshot_is(stores: Stores) -> None:
    _, view = stores
    assert view.provider_of("iv-1") is None
    view.save_intervention(intervention(provider_id="prov-7"))
    assert view.provider_of("iv-1") == "prov-7"


@pytest.mark.integration
def test_a_known_interventions_provider_is_not_read_again(make_db: Any) -> None:
    """Postings ask for it every time, and it never changes: it is remembered."""
    db = make_db("ledger_repo")
    view = MongoCommissioningView(db)
    view.save_intervention(intervention(provider_id="prov-7"))
    assert view.provider_of("iv-1") == "prov-7"
    db.interventions.delete_one({"_id": "iv-1"})  # now any read of it would find nothing
    assert view.provider_of("iv-1") == "prov-7"


def test_enrolments_are_listed_under_their_intervention(stores: Stores) -> None:
    _, view = stores
    view.save_enrolments([enrolment("en-1", end=date(2025, 3, 1), version=2)])
    view.save_enrolments([enrolment("en-1", version=1)])
    view.save_enrolments([enrolment("en-2", child_ref="C002")])
    view.save_enrolments([enrolment("en-3", intervention_id="iv-2")])
    found = sorted(view.enrolments_of("iv-1"), key=lambda e: e.enrolment_id)
    assert [(e.enrolment_id, e.end_date) for e in found] == [
        ("en-1", date(2025, 3, 1)),
        ("en-2", None),
    ]
    assert view.enrolments_of("iv-9") == []


def test_enrolments_saved_together_keep_the_highest_version_of_each(stores: Stores) -> None:
    """A poll's snapshots are saved at once: newest wins within the batch and against the store."""
    _, view = stores
    view.save_enrolments([enrolment("en-1", end=date(2025, 2, 1), version=3)])
    view.save_enrolments(
        [
            enrolment("en-1", end=date(2025, 1, 1), version=2),  # older than the kept one
            enrolment("en-2", end=date(2025, 4, 1), version=2),
            enrolment("en-2", end=date(2025, 3, 1), version=1),  # older than the one before it
            enrolment("en-3", intervention_id="iv-2"),
        ]
    )
    view.save_enrolments([])
    found = sorted(view.enrolments_of("iv-1"), key=lambda e: e.enrolment_id)
    assert [(e.enrolment_id, e.end_date, e.version) for e in found] == [
        ("en-1", date(2025, 2, 1), 3),
        ("en-2", date(2025, 4, 1), 2),
    ]
    assert [e.enrolment_id for e in view.enrolments_of("iv-2")] == ["en-3"]


def test_accrued_months_are_remembered_once(stores: Stores) -> None:
    _, view = stores
    view.mark_accrued([date(2025, 2, 1), date(2025, 1, 1)])
    view.mark_accrued([date(2025, 1, 1)])
    assert view.accrued_months() == [date(2025, 1, 1), date(2025, 2, 1)]


def test_racing_reversals_post_exactly_one(stores: Stores) -> None:
    transactions, view = stores
    ledger = Ledger(
        transactions=transactions,
        commissioning=view,
        records=FakeFinanceRecords(),
        clock=lambda: FIXED_NOW,
    )
    transactions.add(payment("t-1"))
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def reverse() -> None:
        barrier.wait()
        try:
            handlers.reverse_transaction(
                ReverseTransaction(reverses="t-1", description="d", source="s"), ledger=ledger
            )
            outcomes.append("reversed")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=reverse) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "refused", "refused", "reversed"]
    assert len([t for t in transactions.all() if t.kind == "reversal"]) == 1
