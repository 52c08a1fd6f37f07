"""Balances, spend, budgets, invoice matching and reconciliation, on the fakes."""

from __future__ import annotations

from datetime import date

from services.ledger.adapters.repository import FakeTransactions
from services.ledger.domain.model import CostLine
from services.ledger.service_layer import handlers, queries
from services.ledger.service_layer.commands import PostTransaction, RunAccruals
from services.ledger.service_layer.finance import as_at
from services.ledger.service_layer.handlers import Ledger
from tests.ledger.builders import enrolment, intervention

JAN, FEB, MAR, APR = (date(2025, m, 1) for m in (1, 2, 3, 4))


def invoice(
    ledger: Ledger, txn_id: str, number: str, lines: list[CostLine], iv: str = "iv-1"
) -> None:
    handlers.post_transaction(
        PostTransaction(
            transaction_id=txn_id,
            kind="invoice",
            intervention_id=iv,
            description="invoice",
            source="api:f",
            lines=tuple(lines),
            invoice_number=number,
            accounting_date=date(2025, 4, 10),
        ),
        ledger=ledger,
    )


def books(ledger: Ledger) -> None:
    """Two providers; iv-1 per child-week 100/week with two children, iv-2 a block contract."""
    handlers.record_intervention(intervention(budget_pence=600_000), source="e", ledger=ledger)
    handlers.record_intervention(
        intervention(
            "iv-2",
            provider_id="prov-2",
            pricing_model="block_per_month",
            prices=((JAN, 31_000),),
            category="therapeutic",
            budget_pence=0,
        ),
        source="e",
        ledger=ledger,
    )
    handlers.record_enrolment(
        enrolment(start=JAN, end=date(2025, 3, 31)), source="e", ledger=ledger
    )
    handlers.record_enrolment(
        enrolment("en-2", child_ref="C002", start=FEB, end=date(2025, 2, 14)),
        source="e",
        ledger=ledger,
    )
    handlers.run_accruals(RunAccruals(JAN, date(2025, 3, 31), source="r"), ledger=ledger)


def test_spend_groups_reconcile_to_the_penny_on_every_grouping(ledger: Ledger) -> None:
    books(ledger)
    everything = queries.spend(as_at(ledger, None), basis="accrued", group_by="intervention")
    assert everything == {"iv-1": 128_571 + 20_000, "iv-2": 93_000}
    total = sum(everything.values())
    for group_by in ("provider", "category", "child", "financial_year", "quarter", "month"):
        rows = queries.spend(as_at(ledger, None), basis="accrued", group_by=group_by)
        assert sum(rows.values()) == total, group_by
    assert queries.spend(as_at(ledger, None), basis="accrued", group_by="category") == {
        "family_support": 148_571,
        "therapeutic": 93_000,
    }
    months = queries.spend(as_at(ledger, None), basis="accrued", group_by="month")
    assert months == {
        "2025-01": 44_286 + 31_000,
        "2025-02": 40_000 + 20_000 + 31_000,
        "2025-03": 44_285 + 31_000,
    }


def test_spend_in_a_window_prorates_lines_by_days(ledger: Ledger) -> None:
    books(ledger)
    invoice(ledger, "api-i", "INV-1", [CostLine("C001", JAN, date(2025, 3, 31), 90_000)])
    rows = queries.spend(
        as_at(ledger, None), basis="invoiced", group_by="child", window=(FEB, date(2025, 2, 28))
    )
    assert rows == {"C001": 28_000}  # 28 of the invoice's 90 days
    assert queries.spend(as_at(ledger, None), basis="invoiced", group_by="quarter") == {
        "2024-25 Q4": 90_000
    }


def test_providers_spend_is_filtered_to_their_own(ledger: Ledger) -> None:
    books(ledger)
    own = queries.TransactionFilter(provider_id="prov-2")
    assert queries.spend(as_at(ledger, None), basis="accrued", group_by="child", where=own) == {
        None: 93_000  # no child on the block contract
    }


def test_balances_at_a_date_count_transactions_dated_by_then(ledger: Ledger) -> None:
    books(ledger)
    at_january_end = queries.account_balances(as_at(ledger, None), as_of=date(2025, 1, 31))
    assert at_january_end["expense:iv-1"] == 44_286
    assert sum(at_january_end.values()) == 0
    assert queries.account_balances(as_at(ledger, None), as_of=date(2024, 12, 31)) == {}
    assert queries.account_balances(as_at(ledger, None), account="bank:main") == {"bank:main": 0}


def test_budget_against_actual_per_intervention(ledger: Ledger) -> None:
    books(ledger)
    [first, second] = queries.budgets(as_at(ledger, None), basis="accrued")
    assert (first.intervention_id, first.budget_pence, first.committed_pence) == (
        "iv-1",
        600_000,
        600_000,
    )
    assert first.actual_pence == 148_571
    assert first.remaining_pence == 600_000 - 148_571
    assert first.outstanding_commitment_pence == 600_000 - 148_571
    assert (second.actual_pence, second.remaining_pence) == (93_000, -93_000)
    assert [
        b.intervention_id
        for b in queries.budgets(as_at(ledger, None), basis="paid", provider_id="prov-2")
    ] == ["iv-2"]


def test_invoice_matching_shows_the_difference_per_child_and_month(ledger: Ledger) -> None:
    books(ledger)
    invoice(
        ledger,
        "api-i",
        "INV-1",
        [
            CostLine("C001", JAN, date(2025, 2, 28), 90_000),
            CostLine(None, MAR, date(2025, 3, 31), 500),
        ],
    )
    matches = {
        (m.child_ref, m.month): m for m in queries.invoice_matches("iv-1", as_at(ledger, None))
    }
    jan = matches[("C001", "2025-01")]
    assert (jan.accrued_pence, jan.invoiced_pence) == (44_286, 47_288)
    assert matches[(None, "2025-03")].difference_pence == 500
    assert matches[("C002", "2025-02")].difference_pence == -20_000
    window = queries.invoice_matches("iv-1", as_at(ledger, None), window=(MAR, date(2025, 3, 31)))
    assert {m.month for m in window} == {"2025-03"}


def test_reconciliation_lists_transactions_that_break_a_rule(ledger: Ledger) -> None:
    books(ledger)
    assert queries.reconciliation(ledger=ledger).balanced
    stored = ledger.transactions
    assert isinstance(stored, FakeTransactions)
    stored.stored["accrual:en-1:2025-01:1"]["postings"][0]["amount_pence"] += 1  # tampering
    stored.stored["forged"] = {"_id": "forged"}
    stored.stored["reversal-of:ghost"] = {
        **stored.stored["accrual:en-1:2025-02:1"],
        "_id": "reversal-of:ghost",
        "kind": "reversal",
        "reverses": "ghost",
    }
    result = queries.reconciliation(ledger=ledger)
    assert not result.balanced
    assert result.trial_balance_pence == 1
    assert {(v.transaction_id, v.rule) for v in result.violations} == {
        ("accrual:en-1:2025-01:1", "postings"),
        ("forged", "record"),
        ("reversal-of:ghost", "reverses"),
    }
