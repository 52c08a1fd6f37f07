"""Property: whatever sequence of postings, retries and reversals arrives, after every step the
trial balance is zero, every transaction balances, no idempotency key has two effects and no
transaction is reversed twice. Fast on the fakes; a smaller run on the real database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ledger.adapters.finance_records import MongoFinanceRecords
from services.ledger.adapters.mongo import MongoCommissioningView, MongoTransactions
from services.ledger.adapters.repository import FakeTransactions
from services.ledger.bootstrap import fake_ledger
from services.ledger.domain.model import CostLine, Posting, RuleBroken
from services.ledger.domain.reports import balances
from services.ledger.service_layer import handlers, queries
from services.ledger.service_layer.commands import PostTransaction, ReverseTransaction
from services.ledger.service_layer.handlers import Ledger
from shared.outbox import Outbox
from tests.ledger.builders import FIXED_NOW, intervention

KEYS = [f"key-{n}" for n in range(5)]
MONTH = (date(2025, 1, 1), date(2025, 1, 31))


@dataclass(frozen=True)
class Post:
    key: str
    kind: str
    amounts: tuple[int, ...]
    skew: int  # adjustments only: non-zero makes the postings unbalanced


@dataclass(frozen=True)
class Retry:
    index: int  # of an earlier Post


@dataclass(frozen=True)
class Reverse:
    index: int  # of a posted transaction


amounts = st.lists(st.integers(-1_000_000, 1_000_000), min_size=1, max_size=3).map(tuple)
posts = st.builds(
    Post,
    key=st.sampled_from(KEYS),
    kind=st.sampled_from(["commitment", "accrual", "invoice", "payment", "adjustment"]),
    amounts=amounts,
    skew=st.sampled_from([0, 0, 0, 1, -7]),
)
steps = st.lists(
    st.one_of(posts, st.builds(Retry, st.integers(0, 30)), st.builds(Reverse, st.integers(0, 30))),
    max_size=25,
)


def command(op: Post) -> PostTransaction:
    lines = tuple(
        CostLine(f"C{index:03d}" if index else None, *MONTH, amount)
        for index, amount in enumerate(op.amounts)
    )
    total = sum(op.amounts)
    return PostTransaction(
        transaction_id=handlers.api_transaction_id("finance", op.key),
        kind=op.kind,
        intervention_id="iv-1",
        description=f"{op.kind} under {op.key}",
        source="api:finance",
        lines=lines,
        invoice_number=f"INV-{op.key}" if op.kind == "invoice" else None,
        basis="accrued" if op.kind == "adjustment" else None,
        postings=(Posting("expense:iv-1", total + op.skew), Posting("accrued:prov-1", -total))
        if op.kind == "adjustment"
        else None,
    )


def exercise(ledger: Ledger, ops: list[Any]) -> None:
    handlers.record_intervention(intervention(budget_pence=0), source="setup", ledger=ledger)
    first_effect: dict[str, Any] = {}  # transaction id -> the transaction its first post made
    reversed_ids: set[str] = set()
    posted_ops: list[Post] = []
    for op in ops:
        if isinstance(op, Retry) and posted_ops:
            op = posted_ops[op.index % len(posted_ops)]
        if isinstance(op, Post):
            try:
                txn, created = handlers.post_transaction(command(op), ledger=ledger)
            except RuleBroken:
                assert (op.kind == "adjustment" and op.skew) or op.kind == "invoice"
                continue
            posted_ops.append(op)
            if created:
                assert txn.transaction_id not in first_effect
                first_effect[txn.transaction_id] = txn
            else:
                assert first_effect[txn.transaction_id] == txn  # a repeat: the first effect
        elif isinstance(op, Reverse) and first_effect:
            target = sorted(first_effect)[op.index % len(first_effect)]
            undo = ReverseTransaction(reverses=target, description="undo", source="api:finance")
            try:
                handlers.reverse_transaction(undo, ledger=ledger)
                assert target not in reversed_ids
                reversed_ids.add(target)
            except RuleBroken:
                assert target in reversed_ids or target.startswith("reversal-of:")
        check(ledger, first_effect, reversed_ids)


def check(ledger: Ledger, first_effect: dict[str, Any], reversed_ids: set[str]) -> None:
    stored = ledger.transactions.all()
    assert sum(balances(stored).values()) == 0
    result = queries.reconciliation(ledger=ledger)
    assert result.balanced, result.violations
    posts = [t for t in stored if t.kind != "reversal"]
    assert {t.transaction_id for t in posts} == set(first_effect)
    assert Counter(t.reverses for t in stored if t.reverses) == Counter(reversed_ids)
    assert not [t for t in stored if t.reverses and t.reverses.startswith("reversal-of:")]
    if isinstance(ledger.transactions, FakeTransactions):
        assert len(ledger.transactions.published) == len(stored)


@settings(max_examples=50, deadline=None)
@given(ops=steps)
def test_any_sequence_keeps_the_books_balanced_on_the_fakes(ops: list[Any]) -> None:
    exercise(fake_ledger(clock=lambda: FIXED_NOW), ops)


@pytest.mark.integration
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=steps)
def test_any_sequence_keeps_the_books_balanced_on_the_database(
    make_db: Callable[[str], Any], ops: list[Any]
) -> None:
    db = make_db("ledger_prop")
    ledger = Ledger(
        transactions=MongoTransactions(db, Outbox(db)),
        commissioning=MongoCommissioningView(db),
        records=MongoFinanceRecords(db),
        clock=lambda: FIXED_NOW,
    )
    exercise(ledger, ops)
    pending = sum(len(doc["_outbox"]) for doc in db.transactions.find())
    assert pending == db.transactions.count_documents({})  # one event per transaction
