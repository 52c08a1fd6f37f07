"""Transactions check their own rules where they are built: balanced, consistent, well tagged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.ledger.domain import entries
from services.ledger.domain.model import CostLine, Posting, RuleBroken, Transaction
from tests.ledger.builders import FIXED_NOW

TAGS = entries.Tags(
    transaction_id="t-1",
    intervention_id="iv-1",
    provider_id="prov-1",
    accounting_date=date(2025, 2, 28),
    source="test",
    description="test",
    posted_at=FIXED_NOW,
)
FEB = (date(2025, 2, 1), date(2025, 2, 28))


def line(amount: int, child: str | None = "C001", span: tuple[date, date] = FEB) -> CostLine:
    return CostLine(child, span[0], span[1], amount)


def postings(txn: Transaction) -> dict[str, int]:
    return {p.account: p.amount_pence for p in txn.postings}


def test_each_kind_posts_balanced_entries_to_its_accounts() -> None:
    lines = [line(600), line(400, "C002")]
    assert postings(entries.build("commitment", TAGS, lines)) == {
        "commitment:iv-1": 1000,
        "budget:2024-25": -1000,
    }
    assert postings(entries.build("accrual", TAGS, lines)) == {
        "expense:iv-1": 1000,
        "accrued:prov-1": -1000,
        "commitment:iv-1": -1000,
        "budget:2024-25": 1000,
    }
    invoice = entries.build("invoice", TAGS, lines, invoice_number="INV-7")
    assert postings(invoice) == {"accrued:prov-1": 1000, "payable:prov-1": -1000}
    assert postings(entries.build("payment", TAGS, lines)) == {
        "payable:prov-1": 1000,
        "bank:main": -1000,
    }


def test_budget_postings_follow_the_financial_year_of_each_line() -> None:
    lines = [
        line(300, span=(date(2025, 3, 1), date(2025, 3, 31))),
        line(700, span=(date(2025, 4, 1), date(2025, 4, 30))),
    ]
    assert postings(entries.build("commitment", TAGS, lines)) == {
        "commitment:iv-1": 1000,
        "budget:2024-25": -300,
        "budget:2025-26": -700,
    }


def test_tags_follow_the_lines_child_and_service_period() -> None:
    one_child = entries.build(
        "accrual", TAGS, [line(5, span=(date(2025, 2, 3), date(2025, 2, 9))), line(7)]
    )
    assert one_child.child_ref == "C001"
    assert one_child.service_period == FEB
    assert entries.build("accrual", TAGS, [line(5), line(7, None)]).child_ref is None


def test_unbalanced_postings_are_refused_naming_postings() -> None:
    with pytest.raises(RuleBroken) as refused:
        entries.adjustment(
            TAGS,
            basis="accrued",
            postings=[Posting("expense:iv-1", 150), Posting("accrued:prov-1", -100)],
            lines=[line(150)],
        )
    assert refused.value.field == "postings"
    assert "sum to 50" in refused.value.reason


def test_lines_must_agree_with_what_the_postings_put_on_the_basis() -> None:
    with pytest.raises(RuleBroken) as refused:
        entries.adjustment(
            TAGS,
            basis="accrued",
            postings=[Posting("expense:iv-1", 150), Posting("accrued:prov-1", -150)],
            lines=[line(100)],
        )
    assert refused.value.field == "lines"
    adjusted = entries.adjustment(
        TAGS,
        basis="invoiced",
        postings=[Posting("accrued:prov-1", 150), Posting("payable:prov-1", -150)],
        lines=[line(150)],
    )
    assert adjusted.cost_pence == 150


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"postings": (Posting("expense:iv-1", 0),)}, "postings"),
        ({"postings": (Posting("cash:x", 1), Posting("bank:main", -1))}, "postings.0.account"),
        ({"postings": (Posting("bank:main", True), Posting("bank:main", -1))}, "postings.0.amount"),
        ({"kind": "gift"}, "kind"),
        ({"basis": "hoped"}, "basis"),
        ({"basis": "paid"}, "basis"),
        ({"reverses": "t-0"}, "reverses"),
        ({"kind": "invoice", "basis": "invoiced"}, "postings"),
        (
            {"lines": (CostLine("C001", date(2025, 2, 2), date(2025, 2, 1), 0),)},
            "lines.0.service_period_end",
        ),
    ],
)
def test_broken_rules_are_refused_by_field(change: dict[str, object], field: str) -> None:
    valid = entries.build("accrual", TAGS, [line(0)])
    with pytest.raises(RuleBroken) as refused:
        replace(valid, **change)
    assert refused.value.field == field


@pytest.mark.parametrize("account", ["expense:iv-2", "accrued:prov-2"])
def test_postings_stay_on_the_tagged_intervention_and_provider(account: str) -> None:
    with pytest.raises(RuleBroken) as refused:
        entries.adjustment(
            TAGS,
            basis="accrued",
            postings=[Posting("expense:iv-1", 10), Posting(account, -10)],
            lines=[line(10)],
        )
    assert refused.value.field == "postings.1.account"


def test_only_accrued_basis_transactions_touch_expense_accounts() -> None:
    with pytest.raises(RuleBroken, match="only accrued-basis"):
        entries.adjustment(
            TAGS,
            basis="paid",
            postings=[Posting("expense:iv-1", 10), Posting("bank:main", -10)],
            lines=[line(10)],
        )


def test_an_invoice_needs_its_number_and_lines_are_required_for_built_kinds() -> None:
    with pytest.raises(RuleBroken) as refused:
        entries.build("invoice", TAGS, [line(10)])
    assert refused.value.field == "invoice_number"
    with pytest.raises(RuleBroken) as refused:
        entries.build("payment", TAGS, [])
    assert refused.value.field == "lines"
    with pytest.raises(RuleBroken) as refused:
        entries.build("adjustment", TAGS, [line(10)])
    assert refused.value.field == "kind"


def test_a_reversal_negates_everything_on_the_same_basis_under_its_one_id() -> None:
    original = entries.build("invoice", TAGS, [line(600), line(400, None)], invoice_number="I-1")
    undone = entries.reversal(
        original, accounting_date=date(2025, 3, 1), source="s", description="d", posted_at=FIXED_NOW
    )
    assert undone.transaction_id == "reversal-of:t-1"
    assert undone.reverses == "t-1"
    assert undone.basis == "invoiced"
    assert postings(undone) == {"accrued:prov-1": -1000, "payable:prov-1": 1000}
    assert [ln.cost_pence for ln in undone.lines] == [-600, -400]
    with pytest.raises(RuleBroken) as refused:
        entries.reversal(
            undone,
            accounting_date=date(2025, 3, 1),
            source="s",
            description="d",
            posted_at=FIXED_NOW,
        )
    assert refused.value.field == "reverses"


def test_a_difference_withdraws_changed_lines_and_posts_the_new_ones() -> None:
    old = [line(1000)]
    new = [line(400, span=(date(2025, 2, 1), date(2025, 2, 12)))]
    diff = entries.difference(new, old)
    assert diff == [line(-1000), new[0]]
    assert entries.net_lines([*old, *diff]) == entries.net_lines(new)
    assert entries.difference(new, new) == []


def test_a_zero_money_correction_keeps_two_zero_postings() -> None:
    moved = [line(-100), line(100, "C002")]
    txn = entries.build("accrual", TAGS, moved)
    assert postings(txn) == {"expense:iv-1": 0, "accrued:prov-1": 0}
