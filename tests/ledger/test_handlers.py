"""The ledger's use cases through the handlers, on the in-memory fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.ledger.adapters.repository import FakeTransactions
from services.ledger.domain.model import Conflict, CostLine, NotFound, Posting, RuleBroken
from services.ledger.domain.reports import balances
from services.ledger.entrypoints.consumer import CommissioningHandlers
from services.ledger.service_layer import handlers, queries
from services.ledger.service_layer.commands import PostTransaction, ReverseTransaction, RunAccruals
from services.ledger.service_layer.finance import as_at
from services.ledger.service_layer.handlers import Ledger
from shared.events.catalogue import commissioning
from tests.ledger.builders import enrolment, intervention, intervention_event

JAN, FEB, MAR = (date(2025, m, 1) for m in (1, 2, 3))
Q1 = RunAccruals(JAN, date(2025, 3, 31), source="run")


def post(ledger: Ledger, kind: str = "invoice", txn_id: str = "api-1", **changes: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "transaction_id": txn_id,
        "kind": kind,
        "intervention_id": "iv-1",
        "description": "test",
        "source": "api:finance",
        "lines": (CostLine("C001", JAN, date(2025, 1, 31), 31_000),),
        "invoice_number": "INV-1" if kind == "invoice" else None,
    }
    fields.update(changes)
    return handlers.post_transaction(PostTransaction(**fields), ledger=ledger)  # type: ignore[arg-type]


def total(ledger: Ledger, basis: str) -> int:
    return sum(t.cost_pence for t in ledger.transactions.all() if t.basis == basis)


def stored(ledger: Ledger) -> FakeTransactions:
    assert isinstance(ledger.transactions, FakeTransactions)
    return ledger.transactions


def test_finance_posts_each_kind_against_a_known_intervention(ledger: Ledger) -> None:
    handlers.record_intervention(intervention(), source="event:1", ledger=ledger)
    for index, kind in enumerate(("commitment", "accrual", "invoice", "payment")):
        txn, created = post(ledger, kind, f"api-{index}")
        assert created and txn.kind == kind and txn.provider_id == "prov-1"
    adjusted, _ = post(
        ledger,
        "adjustment",
        "api-adj",
        basis="accrued",
        postings=(Posting("expense:iv-1", 500), Posting("accrued:prov-1", -500)),
        lines=(CostLine(None, JAN, date(2025, 1, 31), 500),),
    )
    assert adjusted.basis == "accrued"
    assert sum(balances(ledger.transactions.all()).values()) == 0
    assert queries.reconciliation(ledger=ledger).balanced


def test_an_unknown_intervention_is_refused_by_field(ledger: Ledger) -> None:
    with pytest.raises(RuleBroken) as refused:
        post(ledger)
    assert refused.value.field == "intervention_id"


def test_a_retried_post_returns_the_first_transaction_and_posts_nothing(ledger: Ledger) -> None:
    handlers.record_intervention(intervention(budget_pence=0), source="e", ledger=ledger)
    first, created = post(ledger, "payment")
    again, created_again = post(ledger, "payment", description="retried")
    assert created and not created_again
    assert again == first
    assert len(stored(ledger).stored) == 1
    assert len(stored(ledger).published) == 1


def test_an_invoice_number_is_posted_once_per_provider(ledger: Ledger) -> None:
    handlers.record_intervention(intervention(budget_pence=0), source="e", ledger=ledger)
    first, created = post(ledger, "invoice", "api-1")
    again, created_again = post(ledger, "invoice", "api-2")  # the same invoice, another key
    assert created and not created_again and again == first
    with pytest.raises(Conflict) as refused:
        post(ledger, "invoice", "api-3", description="a different invoice, same number")
    assert refused.value.field == "invoice_number"
    assert len(stored(ledger).stored) == 1


def test_a_transaction_is_reversed_once_only(ledger: Ledger) -> None:
    handlers.record_intervention(intervention(budget_pence=0), source="e", ledger=ledger)
    post(ledger, "payment")
    undo = ReverseTransaction(reverses="api-1", description="wrong child", source="api:f")
    reversal = handlers.reverse_transaction(undo, ledger=ledger)
    assert reversal.reverses == "api-1" and reversal.cost_pence == -31_000
    with pytest.raises(Conflict) as refused:
        handlers.reverse_transaction(undo, ledger=ledger)
    assert refused.value.field == "reverses"
    with pytest.raises(RuleBroken, match="cannot itself be reversed"):
        handlers.reverse_transaction(
            ReverseTransaction(reverses=reversal.transaction_id, description="d", source="s"),
            ledger=ledger,
        )
    with pytest.raises(NotFound):
        handlers.reverse_transaction(
            ReverseTransaction(reverses="nope", description="d", source="s"), ledger=ledger
        )
    assert total(ledger, "paid") == 0
    assert queries.reconciliation(ledger=ledger).balanced


def test_a_commissioned_intervention_raises_its_commitment_once(ledger: Ledger) -> None:
    terms = intervention(budget_pence=120_000)
    [commitment] = handlers.record_intervention(terms, source="event:a", ledger=ledger)
    assert commitment.transaction_id == "commitment:iv-1:1"
    assert commitment.cost_pence == 120_000
    assert handlers.record_intervention(terms, source="event:a", ledger=ledger) == []
    raised = intervention(budget_pence=150_000, version=2)
    [more] = handlers.record_intervention(raised, source="event:b", ledger=ledger)
    assert more.transaction_id == "commitment:iv-1:2"
    assert total(ledger, "committed") == 150_000
    # a late, older snapshot changes nothing
    assert handlers.record_intervention(terms, source="event:a", ledger=ledger) == []
    assert total(ledger, "committed") == 150_000


def test_accrual_runs_post_per_enrolment_and_month_and_repeat_without_effect(
    ledger: Ledger,
) -> None:
    handlers.record_intervention(intervention(budget_pence=0), source="e", ledger=ledger)
    handlers.record_enrolment(enrolment(end=date(2025, 3, 30)), source="e", ledger=ledger)
    posted = handlers.run_accruals(Q1, ledger=ledger)
    assert [t.transaction_id for t in posted] == [
        "accrual:en-1:2025-01:1",
        "accrual:en-1:2025-02:1",
        "accrual:en-1:2025-03:1",
    ]
    assert total(ledger, "accrued") == 120_000
    assert handlers.run_accruals(Q1, ledger=ledger) == []
    assert len(stored(ledger).published) == 3


def test_accrual_releases_the_commitment(ledger: Ledger) -> None:
    handlers.record_intervention(intervention(budget_pence=500_000), source="e", ledger=ledger)
    handlers.record_enrolment(enrolment(end=date(2025, 3, 30)), source="e", ledger=ledger)
    handlers.run_accruals(Q1, ledger=ledger)
    assert queries.account_balances(as_at(ledger, None), account="commitment:iv-1") == {
        "commitment:iv-1": 380_000
    }


def test_events_after_a_run_re_accrue_the_months_already_run(ledger: Ledger) -> None:
    handlers.record_intervention(intervention(budget_pence=0), source="e", ledger=ledger)
    handlers.record_enrolment(enrolment(start=JAN), source="e", ledger=ledger)
    handlers.run_accruals(Q1, ledger=ledger)
    assert total(ledger, "accrued") == 128_571  # 90 days at 100/week: 128,571.43
    amended = intervention(
        budget_pence=0, prices=((JAN, 10_000), (date(2025, 2, 15), 14_000)), version=2
    )
    posted = handlers.record_intervention(amended, source="event:amended", ledger=ledger)
    assert [t.transaction_id for t in posted] == [
        "accrual:en-1:2025-02:2",
        "accrual:en-1:2025-03:2",
    ]
    # 45 days (Jan, Feb 1-14) at 100/week, then 45 days at 140/week: 154,285.71
    assert total(ledger, "accrued") == 154_286
    ended = enrolment(start=JAN, end=date(2025, 3, 12), version=2)
    [withdrawn] = handlers.record_enrolment(ended, source="event:ended", ledger=ledger)
    assert withdrawn.transaction_id == "accrual:en-1:2025-03:3"
    assert total(ledger, "accrued") == 116_286  # 45 days at 100/week, 26 at 140: 116,285.71
    assert handlers.run_accruals(Q1, ledger=ledger) == []
    assert queries.reconciliation(ledger=ledger).balanced


def test_a_reversed_accrual_is_posted_again_by_the_next_run(ledger: Ledger) -> None:
    handlers.record_intervention(intervention(budget_pence=0), source="e", ledger=ledger)
    handlers.record_enrolment(enrolment(start=JAN), source="e", ledger=ledger)
    handlers.run_accruals(RunAccruals(JAN, date(2025, 1, 31), source="run"), ledger=ledger)
    handlers.reverse_transaction(
        ReverseTransaction(reverses="accrual:en-1:2025-01:1", description="d", source="s"),
        ledger=ledger,
    )
    [again] = handlers.run_accruals(RunAccruals(JAN, date(2025, 1, 31), source="r"), ledger=ledger)
    assert again.transaction_id == "accrual:en-1:2025-01:2"
    assert total(ledger, "accrued") == 44_286  # 31 days at 100/week


def test_a_block_contract_accrues_unallocated_in_a_month_without_children(ledger: Ledger) -> None:
    block = intervention(pricing_model="block_per_month", prices=((JAN, 50_000),), budget_pence=0)
    handlers.record_intervention(block, source="e", ledger=ledger)
    handlers.record_enrolment(
        enrolment(start=JAN, end=date(2025, 1, 31)), source="e", ledger=ledger
    )
    posted = handlers.run_accruals(RunAccruals(JAN, date(2025, 2, 28), source="r"), ledger=ledger)
    assert [(t.transaction_id, t.child_ref, t.cost_pence) for t in posted] == [
        ("accrual:block:iv-1:2025-01:1", "C001", 50_000),
        ("accrual:block:iv-1:2025-02:1", None, 50_000),
    ]


def test_enrolments_arriving_before_their_intervention_accrue_once_it_is_known(
    ledger: Ledger,
) -> None:
    handlers.run_accruals(RunAccruals(JAN, date(2025, 1, 31), source="r"), ledger=ledger)
    assert handlers.record_enrolment(enrolment(start=JAN), source="e", ledger=ledger) == []
    posted = handlers.record_intervention(intervention(budget_pence=0), source="e", ledger=ledger)
    assert [t.transaction_id for t in posted] == ["accrual:en-1:2025-01:1"]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2025, 1, 2), date(2025, 1, 31), "period_start"),
        (JAN, date(2025, 1, 30), "period_end"),
        (FEB, date(2025, 1, 31), "period_end"),
    ],
)
def test_accrual_runs_cover_whole_months(
    ledger: Ledger, start: date, end: date, field: str
) -> None:
    with pytest.raises(RuleBroken) as refused:
        handlers.run_accruals(RunAccruals(start, end, source="r"), ledger=ledger)
    assert refused.value.field == field


def test_a_lost_race_for_a_chain_link_reads_the_chain_again(ledger: Ledger) -> None:
    """Two runs computing the same difference: the second finds the link taken and stops."""
    handlers.record_intervention(intervention(budget_pence=0), source="e", ledger=ledger)
    handlers.record_enrolment(enrolment(start=JAN), source="e", ledger=ledger)
    terms = ledger.commissioning.intervention("iv-1")
    assert terms is not None
    expected = [CostLine("C001", date(2025, 1, 6), date(2025, 1, 31), 37_143)]
    made = []

    def make(txn_id: str, lines: list[CostLine]):  # type: ignore[no-untyped-def]
        from services.ledger.domain import entries

        tags = entries.Tags(txn_id, "iv-1", "prov-1", date(2025, 1, 31), "s", "d", ledger.clock())
        made.append(txn_id)
        if len(made) == 1:  # the rival run gets there between our read and our insert
            ledger.transactions.add(entries.build("accrual", tags, lines))
        return entries.build("accrual", tags, lines)

    assert handlers.post_difference("accrual:en-1:2025-01", expected, make, ledger=ledger) is None
    assert made == ["accrual:en-1:2025-01:1"]
    assert total(ledger, "accrued") == 37_143


def test_a_changed_pricing_model_withdraws_what_the_old_one_accrued(ledger: Ledger) -> None:
    block = intervention(pricing_model="block_per_month", prices=((JAN, 70_000),), budget_pence=0)
    handlers.record_intervention(block, source="e", ledger=ledger)
    handlers.record_enrolment(enrolment(start=JAN), source="e", ledger=ledger)
    handlers.run_accruals(RunAccruals(JAN, date(2025, 1, 31), source="r"), ledger=ledger)
    assert total(ledger, "accrued") == 70_000
    weekly = intervention(prices=((JAN, 70_000),), budget_pence=0, version=2)
    posted = handlers.record_intervention(weekly, source="e", ledger=ledger)
    assert sorted(t.transaction_id for t in posted) == [
        "accrual:block:iv-1:2025-01:2",
        "accrual:en-1:2025-01:1",
    ]
    assert total(ledger, "accrued") == 310_000  # 31 days at 700/week


def test_listing_by_intervention_or_provider_finds_exactly_theirs(ledger: Ledger) -> None:
    handlers.record_intervention(intervention(), source="event:1", ledger=ledger)
    handlers.record_intervention(
        intervention("iv-2", provider_id="prov-2"), source="event:2", ledger=ledger
    )
    post(ledger, "invoice", "api-1")
    post(ledger, "accrual", "api-2", accounting_date=FEB)
    post(ledger, "invoice", "api-3", intervention_id="iv-2", invoice_number="INV-3")
    view = as_at(ledger, None)

    def listed(**where: str) -> list[tuple[str, str | None, str | None]]:
        found = queries.list_transactions(queries.TransactionFilter(**where), view)
        return [(t.kind, t.intervention_id, t.invoice_number) for t in found]

    # recording an intervention commits its budget (dated today, like the invoice)
    assert listed(intervention_id="iv-1") == [
        ("accrual", "iv-1", None), ("commitment", "iv-1", None), ("invoice", "iv-1", "INV-1"),
    ]  # fmt: skip
    assert listed(intervention_id="iv-1", kind="invoice") == [("invoice", "iv-1", "INV-1")]
    assert listed(provider_id="prov-2", kind="invoice") == [("invoice", "iv-2", "INV-3")]
    assert listed(provider_id="prov-2", intervention_id="iv-1") == []
    assert listed(intervention_id="iv-9") == []
    assert sorted(x[2] or "" for x in listed(kind="invoice")) == ["INV-1", "INV-3"]
    # a posting after the view was read is in the next view's listing
    post(ledger, "invoice", "api-4", invoice_number="INV-4")
    later = queries.list_transactions(
        queries.TransactionFilter(intervention_id="iv-1", kind="invoice"), as_at(ledger, None)
    )
    assert sorted(t.invoice_number or "" for t in later) == ["INV-1", "INV-4"]


def test_a_draft_ended_before_it_began_leaves_nothing_committed(ledger: Ledger) -> None:
    commissioned = intervention(budget_pence=120_000)
    consumer = CommissioningHandlers(ledger)
    consumer.apply(intervention_event(commissioned, status="draft"))
    assert total(ledger, "committed") == 120_000
    withdrawn = replace(commissioned, end_date=date(2025, 1, 31), version=2, withdrawn=True)
    consumer.apply(
        intervention_event(
            withdrawn, commissioning.INTERVENTION_ENDED, status="ended", reason="not needed"
        )
    )
    assert total(ledger, "committed") == 0
    assert [t.transaction_id for t in ledger.transactions.all() if t.kind == "commitment"] == [
        "commitment:iv-1:1",
        "commitment:iv-1:2",
    ]


def test_a_corrected_budget_corrects_the_commitment(ledger: Ledger) -> None:
    commissioned = intervention(budget_pence=120_000)
    consumer = CommissioningHandlers(ledger)
    consumer.apply(intervention_event(commissioned))
    corrected = replace(commissioned, budget_pence=90_000, version=2)
    consumer.apply(
        intervention_event(
            corrected,
            commissioning.INTERVENTION_CORRECTED,
            corrected=["budget_pence"],
            reason="the schedule was misread",
        )
    )
    assert total(ledger, "committed") == 90_000
