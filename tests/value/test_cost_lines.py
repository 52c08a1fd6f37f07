"""Cost lines as columns: the read model's ledger columns and the table reports read."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from services.value.adapters.ledger_columns import LedgerColumns
from services.value.domain.cost_lines import CostLineTable
from services.value.domain.model import Period
from tests.value.builders import d, line

LINES = [
    line("A", "C1", "2025-01-01", "2025-01-31", 31_000, "tx-1"),
    line("A", None, "2025-01-01", "2025-01-31", 62_000, "tx-2"),
    line("B", "C2", "2025-02-01", "2025-02-28", 28_000, "tx-3"),
    line(None, None, "2025-03-01", "2025-03-31", 5_000, "tx-4"),
]


def test_a_table_gives_back_the_lines_it_was_made_of() -> None:
    table = CostLineTable.of(LINES)
    assert len(table) == 4 and list(table) == LINES
    assert table[-1] == LINES[-1] and table[1:3] == LINES[1:3]
    assert CostLineTable.of(table) is table
    assert list(table.on({"A"})) == LINES[:2] and list(table.on({None})) == LINES[3:]


def test_a_lines_amount_in_a_window_is_by_calendar_days_of_its_own_period() -> None:
    table = CostLineTable.of(LINES)
    january_10_to_february_4 = Period(d("2025-01-10"), d("2025-02-04"))
    assert table.amounts_in(january_10_to_february_4) == [
        Fraction(31_000 * 22, 31),
        Fraction(62_000 * 22, 31),
        Fraction(28_000 * 4, 28),
        Fraction(0),
    ]


def test_the_interventions_whose_lines_changed_are_found_by_content_not_by_name() -> None:
    table = CostLineTable.of(LINES)
    assert table.interventions_changed_since(CostLineTable.of(list(LINES))) == set()
    corrected = [*LINES[:2], line("B", "C2", "2025-02-01", "2025-02-28", 27_000, "tx-3"), LINES[3]]
    assert CostLineTable.of(corrected).interventions_changed_since(table) == {"B"}
    added = [*LINES, line(None, None, "2025-04-01", "2025-04-30", 1, "tx-5")]
    assert CostLineTable.of(added).interventions_changed_since(table) == {None}
    assert CostLineTable.of(LINES[1:]).interventions_changed_since(table) == {"A"}
    assert CostLineTable.of(LINES[2:]).interventions_changed_since(table) == {"A"}


def transaction(key: str, basis: str = "invoiced", **line_fields: Any) -> dict[str, Any]:
    return {
        "_id": key,
        "basis": basis,
        "kind": "invoice",
        "intervention_id": "A",
        "lines": [
            {
                "child_ref": "C1",
                "service_period_start": "2025-01-01",
                "service_period_end": "2025-01-31",
                "cost_pence": 31_000,
                **line_fields,
            }
        ],
    }


def test_the_ledger_keeps_one_transaction_per_id_and_each_basis_apart() -> None:
    ledger = LedgerColumns()
    ledger.merge([transaction("tx-1"), transaction("tx-2", "paid"), transaction("tx-1")])
    ledger.merge([transaction("tx-2", "paid"), transaction("tx-3", cost_pence=5)])
    assert len(ledger) == 3
    assert [line.cost_pence for line in ledger.lines("invoiced")] == [31_000, 5]
    assert [line.transaction_id for line in ledger.lines("paid")] == ["tx-2"]
    assert list(ledger.lines("committed")) == []
    assert ledger.transactions("paid") == [{"_id": "tx-2", "kind": "invoice", "basis": "paid"}]


def test_a_batch_with_a_period_ending_before_it_starts_is_refused_whole() -> None:
    ledger = LedgerColumns()
    ledger.merge([transaction("tx-1")])
    bad = transaction("tx-bad", service_period_start="2025-02-01")
    refused = (
        r"tx-bad: a cost line's service_period_end \(2025-01-31\) is before its "
        r"service_period_start \(2025-02-01\)"
    )
    with pytest.raises(ValueError, match=refused):
        ledger.merge([transaction("tx-2"), bad])
    assert len(ledger) == 1 and [line.transaction_id for line in ledger.lines("invoiced")] == [
        "tx-1"
    ]
    ledger.merge([transaction("tx-2")])  # nothing of the refused batch was kept
    assert [line.transaction_id for line in ledger.lines("invoiced")] == ["tx-1", "tx-2"]
