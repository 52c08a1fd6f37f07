"""The facts finance's reports read: read before the API reports ready, and read again whole in
the background once old, never on a report's time."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from services.ledger.adapters.finance_records import MongoFinanceRecords
from services.ledger.adapters.mongo import TRANSACTIONS, MongoTransactions
from services.ledger.adapters.records import transaction_record
from services.ledger.bootstrap import fake_ledger
from services.ledger.entrypoints.api import FactsNotRead, read_facts_in_background
from shared.outbox import Outbox
from tests.ledger.test_repositories import payment
from tests.support.bus import wait_until


def test_the_api_is_not_ready_until_its_facts_are_read() -> None:
    ledger = fake_ledger()
    released = threading.Event()
    reading = ledger.records.facts

    def slow_facts(transactions: Any) -> Any:
        released.wait(timeout=30)
        return reading(transactions)

    ledger.records.facts = slow_facts  # type: ignore[method-assign]
    facts_read = read_facts_in_background(ledger)
    with pytest.raises(FactsNotRead):
        facts_read()
    released.set()
    wait_until(lambda: _passes(facts_read), timeout=10, what="the facts were never read")


@pytest.mark.integration
def test_old_facts_are_read_again_in_the_background(make_db: Any) -> None:
    db = make_db("ledger_facts")
    transactions = MongoTransactions(db, Outbox(db))
    transactions.add(payment("t-1"))
    records = MongoFinanceRecords(db, max_age_seconds=0)  # always old: every report rereads
    assert [t.transaction_id for t in records.facts(transactions).transactions] == ["t-1"]

    # a writer that stopped between its insert and its journal note: only a whole reading finds it
    db[TRANSACTIONS].insert_one(transaction_record(payment("t-2")))
    answered = records.facts(transactions)  # answers at once from what it holds
    assert [t.transaction_id for t in answered.transactions] == ["t-1"]

    wait_until(
        lambda: len(records.facts(transactions).transactions) == 2,
        timeout=20,
        what="the background reading never found the transaction the journal missed",
    )


def _passes(check: Any) -> bool:
    try:
        check()
    except FactsNotRead:
        return False
    return True
