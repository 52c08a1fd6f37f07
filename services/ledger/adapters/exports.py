"""The ledger's reports as the exports (`shared.exports`) their CSV and XLSX downloads show: what
each report is and as at when, headings in words, provider and intervention names beside their
ids, and money columns that add up to the total row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.exports import COUNT, MONEY, PERCENT, Column, Export, Table, file_name
from shared.money import format_pounds


@dataclass(frozen=True)
class Names:
    """Intervention titles and provider names by id, as the ledger learnt them from commissioning
    (an id it has no name for is printed alone)."""

    interventions: dict[str, str]
    providers: dict[str, str]

    def of(self, row: dict[str, Any]) -> dict[str, Any]:
        """`row` with `intervention` and `provider` names beside its ids."""
        return {
            **row,
            "intervention": self.interventions.get(row.get("intervention_id") or ""),
            "provider": self.providers.get(row.get("provider_id") or ""),
        }


NAMED = [
    Column("intervention_id", "Intervention id"),
    Column("intervention", "Intervention"),
    Column("provider_id", "Provider id"),
    Column("provider", "Provider"),
]


def words(code: str) -> str:
    return code.replace("_", " ")


def filters_words(chosen: dict[str, Any]) -> str:
    return "; ".join(f"{words(k.removesuffix('_id'))} {v}" for k, v in chosen.items()) or "none"


def assumptions_words(assumptions: dict[str, Any]) -> list[tuple[str, Any]]:
    """A forecast's assumptions, as its About block says them."""
    return [
        ("Financial year", assumptions["financial_year"]),
        ("Cost basis of actuals", assumptions["basis"]),
        ("Actuals to", assumptions["actuals_to"]),
        ("Open-ended placements run to", words(assumptions["open_ended_to"])),
        ("Demand growth", f"{Decimal(assumptions['demand_growth_bp']) / 100}% of committed cost"),
        ("Suspended interventions", words(assumptions["suspended"])),
    ]


def stamps(report: dict[str, Any]) -> list[tuple[str, Any]]:
    return [("Generated at", report["generated_at"]), ("As at", report["as_at"])]


def as_at_part(report: dict[str, Any]) -> str:
    return f"as-at-{report['as_at'][:19].replace(':', '')}"


def total_of(rows: Iterable[dict[str, Any]], columns: Iterable[Column]) -> dict[str, Any]:
    """A total row of what is shown: each summed column's rows added up."""
    rows = list(rows)
    return {
        c.key: sum(row[c.key] for row in rows if isinstance(row.get(c.key), int))
        for c in columns
        if c.summed
    }


def grouped_columns(group_by: str) -> list[Column]:
    """The key of a row grouped by `group_by`, and its name where it has one."""
    if group_by in ("intervention", "provider"):
        return [Column("key", f"{group_by.capitalize()} id"), Column("name", group_by.capitalize())]
    return [Column("key", words(group_by).capitalize())]


def with_name(names: Names, group_by: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    table = {"intervention": names.interventions, "provider": names.providers}.get(group_by, {})
    return lambda row: {**row, "name": table.get(row.get("key") or "")}


def forecast_export(report: dict[str, Any], names: Names) -> Export:
    assumptions, group_by = report["assumptions"], report["group_by"]
    compared = report["compared_with"]
    columns = [
        *grouped_columns(group_by),
        Column("budget_pence", "Budget", MONEY, summed=True),
        Column("actual_pence", "Actual to date", MONEY, summed=True),
        Column("committed_pence", "Committed to the year end", MONEY, summed=True),
        Column("growth_pence", "Growth", MONEY, summed=True),
        Column("forecast_pence", "Forecast outturn", MONEY, summed=True),
        Column("variance_pence", "Variance against budget", MONEY, summed=True),
        Column("variance_percent", "Variance against budget", PERCENT),
    ]
    if compared:
        columns += [
            Column("previous_forecast_pence", "Previous forecast", MONEY, summed=True),
            Column("movement_pence", "Movement since the previous forecast", MONEY, summed=True),
        ]
    named = with_name(names, group_by)
    return Export(
        name=file_name(
            "forecast-outturn",
            assumptions["financial_year"],
            assumptions["basis"],
            f"by-{group_by}",
            f"actuals-to-{assumptions['actuals_to']}",
            f"open-ended-to-{assumptions['open_ended_to']}",
            f"growth-{assumptions['demand_growth_bp']}bp",
            f"suspended-{assumptions['suspended']}",
            as_at_part(report),
        ),
        about=[
            ("Report", "Forecast outturn"),
            *assumptions_words(assumptions),
            ("Grouping", f"by {words(group_by)}"),
            (
                "Compared with",
                f"forecast {compared['forecast_id']} saved {compared['saved_at']}"
                if compared
                else "no saved forecast",
            ),
            ("Suppression", "none: figures of money, not of children"),
            *stamps(report),
        ],
        tables=[
            Table(
                "Forecast outturn",
                columns,
                [named(row) for row in report["rows"]],
                total={**report["total"], "key": "Total"},
            )
        ],
    )


HIGH_COST_COLUMNS = [
    Column("child_ref", "Child reference"),
    Column("enrolment_id", "Enrolment id"),
    *NAMED,
    Column("category", "Category"),
    Column("weekly_cost_pence", "Weekly cost", MONEY),
    Column("start_date", "Start date"),
    Column("planned_end_date", "Planned end date"),
    Column("cost_to_year_end_pence", "Cost to the year end", MONEY, summed=True),
]


def high_cost_export(report: dict[str, Any], names: Names) -> Export:
    threshold = report["suppression_threshold"]
    rows = [names.of(row) for row in report["rows"]]
    return Export(
        name=file_name(
            "high-cost-placements",
            f"on-{report['on']}",
            f"from-{report['threshold_weekly_pence']}p-a-week",
            f"open-ended-to-{report['open_ended_to']}",
            None if threshold else "unsuppressed",
            as_at_part(report),
        ),
        about=[
            ("Report", "High-cost placements"),
            ("Open on", report["on"]),
            ("Costing a week at least", format_pounds(report["threshold_weekly_pence"])),
            ("Open-ended placements run to", words(report["open_ended_to"])),
            (
                "Suppression",
                f"categories with fewer than {threshold} children: rows withheld, children "
                f"counted as suppressed ({report['withheld_rows']} rows withheld)"
                if threshold
                else "none: every row shown (finance only)",
            ),
            *stamps(report),
        ],
        tables=[
            Table(
                "Placements",
                HIGH_COST_COLUMNS,
                rows,
                total={"child_ref": "Total of the rows shown", **total_of(rows, HIGH_COST_COLUMNS)},
            ),
            Table(
                "By category",
                [Column("category", "Category"), Column("children", "Children", COUNT)],
                [
                    {**c, "children": "suppressed" if c["children"] is None else c["children"]}
                    for c in report["by_category"]
                ],
            ),
        ],
    )


def above_ceiling_export(report: dict[str, Any], names: Names) -> Export:
    return Export(
        name=file_name("prices-above-ceiling", f"on-{report['on']}", as_at_part(report)),
        about=[
            ("Report", "Prices above the framework ceiling"),
            ("On", report["on"]),
            ("Rows", "an intervention's unit price (or a later amendment) above its ceiling"),
            *stamps(report),
        ],
        tables=[
            Table(
                "Above ceiling",
                [
                    *NAMED,
                    Column("category", "Category"),
                    Column("pricing_model", "Pricing model"),
                    Column("unit_price_pence", "Unit price", MONEY),
                    Column("effective_from", "Effective from"),
                    Column("ceiling_pence", "Ceiling", MONEY),
                    Column("excess_pence", "Above the ceiling by", MONEY),
                ],
                [
                    {**names.of(row), "pricing_model": words(row["pricing_model"])}
                    for row in report["rows"]
                ],
            )
        ],
    )


INVOICED_AFTER_END = [
    Column("transaction_id", "Transaction id"),
    Column("invoice_number", "Invoice number"),
    *NAMED,
    Column("child_ref", "Child reference"),
    Column("service_period_start", "Service from"),
    Column("service_period_end", "Service to"),
    Column("what_ended", "What ended"),
    Column("ended_on", "Ended on"),
    Column("cost_after_end_pence", "Cost after the end", MONEY, summed=True),
]
ACCRUED_WHILE_SUSPENDED = [
    *NAMED,
    Column("suspended_from", "Suspended from"),
    Column("suspended_to", "Suspended to"),
    Column("accrued_pence", "Accrued while suspended", MONEY, summed=True),
]


def paid_after_end_export(report: dict[str, Any], names: Names) -> Export:
    invoiced = [names.of(row) for row in report["invoiced_after_end"]]
    accrued = [names.of(row) for row in report["accrued_while_suspended"]]
    return Export(
        name=file_name("paying-for-what-ended", as_at_part(report)),
        about=[
            ("Report", "Paying for what ended"),
            (
                "Tables",
                "invoices for service after the enrolment or intervention ended; cost accrued "
                "while an intervention was suspended",
            ),
            *stamps(report),
        ],
        tables=[
            Table(
                "Invoiced after the end",
                INVOICED_AFTER_END,
                invoiced,
                total={"transaction_id": "Total", **total_of(invoiced, INVOICED_AFTER_END)},
            ),
            Table(
                "Accrued while suspended",
                ACCRUED_WHILE_SUSPENDED,
                accrued,
                total={"intervention_id": "Total", **total_of(accrued, ACCRUED_WHILE_SUSPENDED)},
            ),
        ],
    )


RUN_OUT_COLUMNS = [
    *NAMED,
    Column("category", "Category"),
    Column("budget_pence", "Budget", MONEY, summed=True),
    Column("forecast_pence", "Forecast outturn", MONEY, summed=True),
    Column("overspend_pence", "Forecast overspend", MONEY, summed=True),
    Column("run_out_month", "Budget runs out in"),
]


def budget_run_out_export(report: dict[str, Any], names: Names) -> Export:
    assumptions = report["assumptions"]
    rows = [names.of(row) for row in report["rows"]]
    return Export(
        name=file_name(
            "budgets-that-run-out",
            assumptions["financial_year"],
            assumptions["basis"],
            f"actuals-to-{assumptions['actuals_to']}",
            f"growth-{assumptions['demand_growth_bp']}bp",
            as_at_part(report),
        ),
        about=[
            ("Report", "Budgets that run out"),
            *assumptions_words(assumptions),
            *stamps(report),
        ],
        tables=[
            Table(
                "Budgets that run out",
                RUN_OUT_COLUMNS,
                rows,
                total={"intervention_id": "Total", **total_of(rows, RUN_OUT_COLUMNS)},
            )
        ],
    )


TRANSACTION_COLUMNS = [
    Column("transaction_id", "Transaction id"),
    Column("kind", "Kind"),
    Column("basis", "Cost basis"),
    Column("accounting_date", "Accounting date"),
    *NAMED,
    Column("child_ref", "Child reference"),
    Column("service_period_start", "Service from"),
    Column("service_period_end", "Service to"),
    Column("reverses", "Reverses"),
    Column("invoice_number", "Invoice number"),
    Column("account", "Account"),
    Column("amount_pence", "Amount", MONEY, summed=True),
    Column("description", "Description"),
]


def transactions_export(
    postings: list[dict[str, Any]], names: Names, *, filters: dict[str, Any], stamp: dict[str, str]
) -> Export:
    """One row per posting: each transaction's postings balance, so the amounts of whole
    transactions add up to nothing; filter by account to see an account's movement."""
    rows = [names.of(row) for row in postings]
    chosen = {k: v for k, v in filters.items() if v is not None}
    return Export(
        name=file_name(
            "transactions",
            *(f"{k.removesuffix('_id')}-{v}" for k, v in chosen.items()),
            as_at_part(stamp),
        ),
        about=[
            ("Report", "Ledger transactions, one row per posting"),
            ("Filters", filters_words(chosen)),
            ("Amounts", "debits positive, credits negative: each transaction's rows sum to £0.00"),
            *stamps(stamp),
        ],
        tables=[
            Table(
                "Postings",
                TRANSACTION_COLUMNS,
                rows,
                total={"transaction_id": "Total", **total_of(rows, TRANSACTION_COLUMNS)},
            )
        ],
    )


def spend_export(report: dict[str, Any], names: Names, *, filters: dict[str, Any]) -> Export:
    """`filters`: the service-date window (`from`, `to`) and the intervention or provider asked
    for, each None when not asked."""
    group_by = report["group_by"]
    chosen = {k: v for k, v in filters.items() if v is not None}
    start, end = chosen.pop("from", None), chosen.pop("to", None)
    window = f"{start} to {end}" if start else "all service dates"
    named = with_name(names, group_by)
    return Export(
        name=file_name(
            "spend",
            report["basis"],
            f"by-{group_by}",
            start,
            end,
            *(f"{k.removesuffix('_id')}-{v}" for k, v in chosen.items()),
            as_at_part(report),
        ),
        about=[
            ("Report", "Spend"),
            ("Cost basis", report["basis"]),
            ("Grouping", f"by {words(group_by)}"),
            ("Service dates", window),
            ("Filters", filters_words(chosen)),
            *stamps(report),
        ],
        tables=[
            Table(
                "Spend",
                [*grouped_columns(group_by), Column("spend_pence", "Spend", MONEY, summed=True)],
                [named({**row, "key": row["key"] or "(none)"}) for row in report["rows"]],
                total={"key": "Total", "spend_pence": report["total_pence"]},
            )
        ],
    )
