"""Each report's JSON as the export its CSV and XLSX downloads show (`shared.exports`): what the
report is, in words, and its tables laid out so that a column a reader sums adds up to the total
shown. The report card is two tables: one row per card (its spend once), and one row per card and
indicator (is anyone better off?), where spend repeated on every indicator row would have summed
to several times what was spent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.value.domain.presentation import NO_SPEND
from shared.exports import COUNT, DECIMAL, MONEY, PERCENT, Column, Export, Table, file_name

REPORTS = {
    "cost_per_outcome": "Cost per better-off outcome",
    "report_card": "Report card (how much, how well, is anyone better off)",
    "turn_the_curve": "Turning the curve",
    "narrow_the_gap": "Narrowing the gap",
    "reconciliation": "Reconciliation of the report's spend with the ledger",
}
# groupings whose rows share an intervention's spend and enrolments between them (an intervention
# targeting two indicators counts under both): their spend and child-weeks do not add up
OVERLAPPING_GROUPINGS = ("indicator", "outcome_area")


def words(code: str) -> str:
    return code.replace("_", " ")


def group_columns(group_by: str) -> list[Column]:
    named = words(group_by).capitalize()
    identifier = "id" if group_by in ("intervention", "provider") else "code"
    return [Column("group", f"{named} {identifier}"), Column("label", named)]


def suppression(report: dict[str, Any]) -> str:
    threshold = report["suppression_threshold"]
    if not threshold:
        return "none: small numbers are shown"
    return (
        f"counts of fewer than {threshold} children, and figures that would reveal them, are "
        f'shown as "suppressed"'
    )


def about(
    report: dict[str, Any], generated_at: str, *details: tuple[str, Any]
) -> list[tuple[str, Any]]:
    """What the report is; when it was generated and as at when are the report's own where it
    says (`generated_at` otherwise: when the download was made)."""
    period = report["period"]
    return [
        ("Report", REPORTS[report["report"]]),
        ("Method", report["method"]),
        ("Period", f"{period['from']} to {period['to']}"),
        ("Cost basis", report["basis"]),
        *details,
        ("Suppression", suppression(report)),
        ("Generated at", report.get("generated_at", generated_at)),
        ("As at", report.get("as_at", "every event the value service had received by then")),
    ]


def unsuppressed(report: dict[str, Any]) -> str | None:
    return None if report["suppression_threshold"] else "unsuppressed"


def cost_per_outcome_export(report: dict[str, Any], *, generated_at: str) -> Export:
    group_by = report["group_by"]
    adds_up = group_by not in OVERLAPPING_GROUPINGS
    columns = [
        *group_columns(group_by),
        Column("spend_pence", "Spend", MONEY, summed=adds_up),
        Column("unallocated_spend_pence", "Of which unallocated", MONEY, summed=adds_up),
        Column("children_served", "Children served", COUNT),
        Column("child_weeks", "Child-weeks", DECIMAL, summed=adds_up),
        Column("children_with_baseline_and_later", "Children measured", COUNT),
        Column("better_off", "Better-off outcomes (attributed)", DECIMAL, summed=True),
        Column("worse_off", "Worse-off outcomes (attributed)", DECIMAL, summed=True),
        Column("cost_per_better_off_pence", "Cost per better-off outcome", MONEY),
        Column("better_off_per_1000", "Better-off outcomes per £1,000", DECIMAL),
        Column("note", "Note"),
    ]

    def noted(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "note": NO_SPEND if row.get("cost_per_better_off") == NO_SPEND else None}

    details = [
        ("Attribution rule", words(report["rule"])),
        ("Grouping", f"by {words(group_by)}"),
    ]
    if not adds_up:
        details.append(
            (
                "Note",
                f"an intervention counts under every {words(group_by)} it targets: spend and "
                "child-weeks are per row and do not add up to the total",
            )
        )
    period = report["period"]
    return Export(
        name=file_name(
            "cost-per-outcome",
            period["from"],
            period["to"],
            report["basis"],
            report["rule"],
            f"by-{group_by}",
            unsuppressed(report),
        ),
        about=about(report, generated_at, *details),
        tables=[
            Table(
                "Cost per outcome",
                columns,
                [noted(row) for row in report["rows"]],
                total={**noted(report["total"]), "group": "Total", "label": "All"},
            )
        ],
    )


CARD_COLUMNS = [
    Column("children_served", "Children served", COUNT),
    Column("child_weeks", "Child-weeks", DECIMAL, summed=True),
    Column("spend_pence", "Spend", MONEY, summed=True),
    Column("cost_per_child_week_pence", "Cost per child-week", MONEY),
    Column("children_with_current_outcome_data", "Children with outcome data in 90 days", COUNT),
    Column("current_outcome_data_percent", "Children with outcome data in 90 days", PERCENT),
    Column("median_days_to_report", "Median days from observing to reporting", DECIMAL),
    Column("observations_reported", "Observations reported", COUNT, summed=True),
    Column("observations_reported_within_30_days", "Reported within 30 days", COUNT, summed=True),
    Column("how_much", "How much did we do?"),
    Column("how_well", "How well did we do it?"),
    Column("better_off_sentences", "Is anyone better off?"),
]
CARD_SUMS = [c for c in CARD_COLUMNS if c.summed]


def report_card_export(report: dict[str, Any], *, generated_at: str) -> Export:
    group_by = report["group_by"]
    cards, outcomes = [], []
    for card in report["cards"]:
        named = {"group": card["group"], "label": card["label"]}
        cards.append(
            {
                **named,
                **card["how_much"],
                **card["how_well"],
                "how_much": card["how_much"]["sentence"],
                "how_well": card["how_well"]["sentence"],
                "better_off_sentences": " ".join(
                    b["sentence"] for b in card["is_anyone_better_off"]
                ),
            }
        )
        outcomes.extend({**named, **b} for b in card["is_anyone_better_off"])
    total: dict[str, Any] = {"group": "Total", "label": "All cards"}
    for column in CARD_SUMS:
        values = [row[column.key] for row in cards]
        total[column.key] = (
            sum(values)
            if column.kind != DECIMAL
            else str(sum((Decimal(v) for v in values), start=Decimal(0)))
        )
    period = report["period"]
    return Export(
        name=file_name(
            "report-card",
            period["from"],
            period["to"],
            report["basis"],
            f"by-{group_by}",
            unsuppressed(report),
        ),
        about=about(
            report,
            generated_at,
            ("Attribution rule", "none: a card counts each of its children once"),
            ("Grouping", f"by {words(group_by)}"),
        ),
        tables=[
            Table("Cards", [*group_columns(group_by), *CARD_COLUMNS], cards, total=total),
            Table(
                "Is anyone better off",
                [
                    *group_columns(group_by),
                    Column("indicator", "Indicator code"),
                    Column("children_measured", "Children measured", COUNT),
                    Column("better_off", "Children better off", COUNT),
                    Column("better_off_percent", "Children better off", PERCENT),
                    Column("sentence", "In words"),
                ],
                outcomes,
            ),
        ],
    )


def turn_the_curve_export(report: dict[str, Any], *, generated_at: str) -> Export:
    period = report["period"]
    months = report["months"]
    return Export(
        name=file_name(
            "turn-the-curve",
            report["indicator"],
            report["cohort"],
            f"since-{report['since']}",
            period["from"],
            period["to"],
            report["basis"],
            unsuppressed(report),
        ),
        about=about(
            report,
            generated_at,
            ("Indicator", f"{report['indicator_name']} ({report['indicator']})"),
            ("Direction", words(report["direction"])),
            ("Cohort", words(report["cohort"])),
            ("Forecast fitted before", report["since"]),
            ("Forecast", report["forecast_method"]),
            ("Spend", "of the interventions targeting the indicator"),
        ),
        tables=[
            Table(
                "Months",
                [
                    Column("month", "Month"),
                    Column("children", "Children observed", COUNT),
                    Column("actual", "Mean of the latest values", DECIMAL),
                    Column("forecast", "Baseline forecast", DECIMAL),
                    Column("gap", "Actual less forecast", DECIMAL),
                    Column("better_than_forecast", "Better than forecast"),
                    Column("spend_pence", "Spend", MONEY, summed=True),
                ],
                months,
                total={
                    "month": "Total",
                    "spend_pence": sum(m["spend_pence"] or 0 for m in months),
                },
            )
        ],
    )


def narrow_the_gap_export(report: dict[str, Any], *, generated_at: str) -> Export:
    period = report["period"]
    first, second = report["cohorts"]
    return Export(
        name=file_name(
            "narrow-the-gap",
            report["indicator"],
            f"{first}-vs-{second}",
            period["from"],
            period["to"],
            unsuppressed(report),
        ),
        about=about(
            report,
            generated_at,
            ("Indicator", report["indicator"]),
            ("Cohorts", f"{first} need and {second} need"),
            (
                "Gap closing",
                {True: "yes", False: "no", None: "too few months to say"}[report["gap_closing"]],
            ),
        ),
        tables=[
            Table(
                "Months",
                [
                    Column("month", "Month"),
                    Column(first, f"Mean, {first} need", DECIMAL),
                    Column(second, f"Mean, {second} need", DECIMAL),
                    Column("gap", "Gap", DECIMAL),
                ],
                report["months"],
            )
        ],
    )


def reconciliation_export(report: dict[str, Any], *, generated_at: str) -> Export:
    period = report["period"]
    return Export(
        name=file_name("reconciliation", period["from"], period["to"], report["basis"]),
        about=about(
            report,
            generated_at,
            ("Balanced", "yes" if report["balanced"] else "no"),
            ("Transactions", report["transactions"]),
            ("Rows", "the transactions whose share of the report differs from the ledger"),
        ),
        tables=[
            Table(
                "Differences",
                [
                    Column("transaction_id", "Transaction id"),
                    Column("kind", "Kind"),
                    Column("ledger_pence", "Ledger", MONEY),
                    Column("report_pence", "Report", MONEY),
                    Column("difference_pence", "Report less ledger", MONEY, summed=True),
                    Column("difference_exact", "Report less ledger, exact (pence)"),
                ],
                report["differences"],
                total={
                    "transaction_id": "All transactions",
                    "ledger_pence": report["ledger_spend_pence"],
                    "report_pence": report["report_spend_pence"],
                    "difference_pence": report["difference_pence"],
                },
            )
        ],
    )
