"""Each report's JSON as the flat table its CSV and XLSX downloads show."""

from __future__ import annotations

from typing import Any


def cost_per_outcome_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [*report["rows"], report["total"]]


def reconciliation_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    total = {
        "transaction_id": "all transactions",
        "kind": None,
        "ledger_pence": report["ledger_spend_pence"],
        "report_pence": report["report_spend_pence"],
        "difference_pence": report["difference_pence"],
    }
    return [total, *report["differences"]]


def report_card_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for card in report["cards"]:
        common = {
            "group": card["group"],
            "label": card["label"],
            **{k: v for k, v in card["how_much"].items() if k != "sentence"},
            **{k: v for k, v in card["how_well"].items() if k != "sentence"},
        }
        better = card["is_anyone_better_off"] or [{}]
        rows.extend({**common, **{k: v for k, v in b.items() if k != "sentence"}} for b in better)
    return rows


def months_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    return list(report["months"])
