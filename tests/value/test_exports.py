"""Downloads finance can trust: opened as a spreadsheet would open them, every column a reader
sums adds up to the report's JSON total, numbers are numbers (money exact pounds with a £ format),
and each file says what it is and is named for its parameters."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from services.value.domain.model import Facts, Period
from services.value.service_layer import curves, tables
from services.value.service_layer.reports import (
    ReportQuery,
    build_cost_per_outcome,
    build_reconciliation,
    build_report_card,
)
from shared import exports
from shared.money import pence_to_decimal
from tests.value.builders import FY2024, d, mixed_council, worked_example
from tests.value.fakes import FakeReadModel

GENERATED_AT = "2025-04-02T09:00:00Z"
# a quarter that cuts through service periods: rows' spend is whole pence only when rounded
Q3 = Period(d("2024-10-01"), d("2024-12-31"))
PER_ROW = "(per row, do not sum)"


def read_model(facts: Facts | None = None) -> FakeReadModel:
    return FakeReadModel({"invoiced": facts or mixed_council()})


def workbook(export: exports.Export) -> Workbook:
    return load_workbook(io.BytesIO(exports.to_xlsx(export)))


def sheet(book: Workbook, name: str) -> tuple[list[str], list[list[Any]], list[list[Any]]]:
    """Headings, the rows under the filter, and the lines below them (ending with the total)."""
    values = [list(row) for row in book[name].iter_rows(values_only=True)]
    headings, body = values[0], values[1:]
    blank = next((n for n, row in enumerate(body) if all(v is None for v in row)), len(body))
    return headings, body[:blank], body[blank + 1 :]


def exact(cells: list[Any]) -> Decimal:
    """The sum of spreadsheet numbers (read back as floats) as the decimals they were written."""
    return sum((Decimal(str(c)) for c in cells), start=Decimal(0))


def summed_headings(headings: list[str]) -> list[str]:
    """The numeric columns a reader may sum: those that do not say otherwise."""
    return [h for h in headings if PER_ROW not in h]


def as_number(pence_or_text: Any, heading: str) -> Decimal:
    if heading.endswith("(£)"):
        return pence_to_decimal(pence_or_text)
    return Decimal(str(pence_or_text))


def assert_columns_add_up(table: exports.Table, book: Workbook, total: dict[str, Any]) -> None:
    """Each summed column's rows, with the line of what they leave out, make the JSON total."""
    headings, rows, below = sheet(book, table.name)
    checked = 0
    for column in table.columns:
        if not column.summed or total.get(column.key) is None:
            continue
        at = headings.index(column.title)
        cells = [row[at] for row in [*rows, *below[:-1]] if row[at] is not None]
        shown = sum((Decimal(str(c)) for c in cells if not isinstance(c, str)), start=Decimal(0))
        assert shown == as_number(total[column.key], column.title), column.title
        assert Decimal(str(below[-1][at])) == shown, column.title
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("group_by", ["intervention", "provider", "category", "need_level"])
@pytest.mark.parametrize("threshold", [0, 5])
def test_cost_per_outcome_columns_add_up_to_the_json_total(group_by: str, threshold: int) -> None:
    query = ReportQuery(period=Q3, group_by=group_by, suppression_threshold=threshold)
    report = build_cost_per_outcome(read_model(), query)
    export = tables.cost_per_outcome_export(report, generated_at=GENERATED_AT)
    book = workbook(export)
    headings, rows, below = sheet(book, "Cost per outcome")
    assert len(rows) == len(report["rows"])
    assert below[-1][:2] == ["Total", "All"]
    assert {"Spend (£)", "Better-off outcomes (attributed)", "Child-weeks"} <= set(
        summed_headings(headings)
    )
    assert f"Children served {PER_ROW}" in headings
    assert_columns_add_up(export.tables[0], book, report["total"])


def test_rounding_and_suppression_are_a_line_of_their_own() -> None:
    report = build_cost_per_outcome(read_model(), ReportQuery(period=Q3, suppression_threshold=5))
    export = tables.cost_per_outcome_export(report, generated_at=GENERATED_AT)
    headings, rows, below = sheet(workbook(export), "Cost per outcome")
    assert [row[0] for row in below] == [exports.NOT_IN_ROWS, "Total"]
    # intervention C has two children: its better-off outcomes are withheld, in that line
    c = next(row for row in rows if row[0] == "C")
    assert c[headings.index("Better-off outcomes (attributed)")] == "suppressed"


def test_where_rows_overlap_spend_is_per_row() -> None:
    report = build_cost_per_outcome(read_model(), ReportQuery(period=Q3, group_by="indicator"))
    export = tables.cost_per_outcome_export(report, generated_at=GENERATED_AT)
    headings, rows, _ = sheet(workbook(export), "Cost per outcome")
    assert f"Spend (£) {PER_ROW}" in headings and f"Child-weeks {PER_ROW}" in headings
    spend = [row[headings.index(f"Spend (£) {PER_ROW}")] for row in rows]
    assert exact(spend) > pence_to_decimal(report["total"]["spend_pence"])  # B counts twice


def test_xlsx_numbers_are_numbers_with_formats_and_the_header_row_is_frozen() -> None:
    report = build_cost_per_outcome(read_model(), ReportQuery(period=Q3, suppression_threshold=0))
    book = workbook(tables.cost_per_outcome_export(report, generated_at=GENERATED_AT))
    table = book["Cost per outcome"]
    assert book.sheetnames == ["About", "Cost per outcome"] and book.active.title == table.title
    assert table.freeze_panes == "A2" and table.auto_filter.ref == f"A1:L{len(report['rows']) + 1}"
    headings = [c.value for c in table[1]]
    row = {h: table.cell(row=2, column=n) for n, h in enumerate(headings, start=1)}
    assert row["Intervention id"].value == "A" and row["Intervention"].value == "Intervention A"
    spend = row["Spend (£)"]
    assert spend.data_type == "n" and spend.number_format == exports.POUNDS_FORMAT
    assert exact([spend.value]) == pence_to_decimal(report["rows"][0]["spend_pence"])
    for heading, text, number_format in (
        (f"Children served {PER_ROW}", "children_served", "#,##0"),
        ("Child-weeks", "child_weeks", "#,##0.00"),
        ("Better-off outcomes (attributed)", "better_off", "#,##0.000"),
        (f"Better-off outcomes per £1,000 {PER_ROW}", "better_off_per_1000", "#,##0.000"),
    ):
        assert row[heading].data_type == "n", heading
        assert row[heading].number_format == number_format, heading
        assert Decimal(str(row[heading].value)) == Decimal(str(report["rows"][0][text])), heading


def test_every_export_says_what_it_is() -> None:
    query = ReportQuery(period=Q3, rule="time_share", group_by="provider")
    report = build_cost_per_outcome(read_model(), query)
    export = tables.cost_per_outcome_export(report, generated_at=GENERATED_AT)
    about = dict(sheet_rows(workbook(export)["About"]))
    assert about == {
        "Report": "Cost per better-off outcome",
        "Method": "reference value method, version 1.1",
        "Period": "2024-10-01 to 2024-12-31",
        "Cost basis": "invoiced",
        "Attribution rule": "time share",
        "Grouping": "by provider",
        "Suppression": "counts of fewer than 5 children, and figures that would reveal them, "
        'are shown as "suppressed"',
        "Generated at": GENERATED_AT,
        "As at": "every event the value service had received by then",
    }
    text = exports.to_csv(export)
    block, table = text.split("\n\n", 1)
    assert dict(csv.reader(io.StringIO(block))) == about
    header = next(csv.reader(io.StringIO(table)))
    assert header[:3] == ["Provider id", "Provider", "Spend (£)"]
    assert all("_" not in h for h in header)


def sheet_rows(worksheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in worksheet.iter_rows(values_only=True)]


def test_file_names_differ_by_every_parameter() -> None:
    model = read_model()
    names = set()
    for basis, rule, group_by, threshold in (
        ("invoiced", "cost_share", "intervention", 5),
        ("paid", "cost_share", "intervention", 5),
        ("invoiced", "equal_share", "intervention", 5),
        ("invoiced", "cost_share", "provider", 5),
        ("invoiced", "cost_share", "intervention", 0),
    ):
        query = ReportQuery(
            period=Q3, basis=basis, rule=rule, group_by=group_by, suppression_threshold=threshold
        )
        report = build_cost_per_outcome(model, query)
        names.add(tables.cost_per_outcome_export(report, generated_at=GENERATED_AT).name)
    assert len(names) == 5
    assert "cost-per-outcome_2024-10-01_2024-12-31_invoiced_cost-share_by-intervention" in names


def test_the_report_card_counts_each_cards_spend_once_and_keeps_its_sentences() -> None:
    model = read_model()
    card = build_report_card(model, ReportQuery(period=Q3, suppression_threshold=0))
    book = workbook(tables.report_card_export(card, generated_at=GENERATED_AT))
    assert book.sheetnames == ["About", "Cards", "Is anyone better off"]
    headings, rows, below = sheet(book, "Cards")
    assert [row[0] for row in rows] == [c["group"] for c in card["cards"]]
    spend = [row[headings.index("Spend (£)")] for row in rows]
    cards_spend = sum(c["how_much"]["spend_pence"] for c in card["cards"])
    assert (
        exact(spend)
        == pence_to_decimal(cards_spend)
        == exact([below[-1][headings.index("Spend (£)")]])
    )
    # the spend of every intervention is what the cost-per-outcome report adds up to
    whole = build_cost_per_outcome(model, ReportQuery(period=Q3, suppression_threshold=0))
    assert cards_spend == sum(r["spend_pence"] for r in whole["rows"])
    b = next(row for row in rows if row[0] == "B")
    b_card = next(c for c in card["cards"] if c["group"] == "B")
    assert b[headings.index("How much did we do?")] == b_card["how_much"]["sentence"]
    assert "missing_episodes:" in b[headings.index("Is anyone better off?")]

    headings, outcomes, below = sheet(book, "Is anyone better off")
    assert below == []
    assert [(row[0], row[2]) for row in outcomes] == [
        (c["group"], b["indicator"]) for c in card["cards"] for b in c["is_anyone_better_off"]
    ]
    assert "Spend (£)" not in headings
    assert outcomes[0][headings.index("In words")].startswith("attendance: ")


def test_reconciliation_differences_add_up_to_the_total_difference() -> None:
    report = build_reconciliation(read_model(), ReportQuery(period=Q3))
    book = workbook(tables.reconciliation_export(report, generated_at=GENERATED_AT))
    headings, rows, below = sheet(book, "Differences")
    at = headings.index("Report less ledger (£)")
    assert len(rows) == len(report["differences"]) > 0
    assert exact([row[at] for row in [*rows, *below[:-1]]]) == exact([below[-1][at]])
    assert exact([below[-1][at]]) == pence_to_decimal(report["difference_pence"])
    assert f"Ledger (£) {PER_ROW}" in headings


def test_curve_exports_say_which_indicator_cohort_and_forecast() -> None:
    model = read_model()
    query = ReportQuery(period=FY2024, suppression_threshold=0)
    curve = curves.build_turn_the_curve(
        model, query, indicator="attendance", since=d("2024-11-01"), cohort="high"
    )
    export = tables.turn_the_curve_export(curve, generated_at=GENERATED_AT)
    assert export.name == (
        "turn-the-curve_attendance_high_since-2024-11-01_2024-04-01_2025-03-31_invoiced_unsuppressed"
    )
    book = workbook(export)
    about = dict(sheet_rows(book["About"]))
    assert about["Indicator"] == "Attendance (attendance)"
    assert about["Cohort"] == "high" and about["Forecast fitted before"] == "2024-11-01"
    headings, rows, below = sheet(book, "Months")
    assert len(rows) == 12
    at = headings.index("Spend (£)")
    assert exact([row[at] for row in rows]) == exact([below[-1][at]]) > 0

    gap = curves.build_narrow_the_gap(
        model, query, indicator="attendance", first="high", second="medium"
    )
    export = tables.narrow_the_gap_export(gap, generated_at=GENERATED_AT)
    assert export.name.startswith("narrow-the-gap_attendance_high-vs-medium_")
    headings, rows, _ = sheet(workbook(export), "Months")
    assert headings == [
        "Month",
        f"Mean, high need {PER_ROW}",
        f"Mean, medium need {PER_ROW}",
        f"Gap {PER_ROW}",
    ]


def test_the_worked_example_downloads_as_exact_pounds() -> None:
    query = ReportQuery(period=FY2024, suppression_threshold=0)
    report = build_cost_per_outcome(read_model(worked_example()), query)
    text = exports.to_csv(tables.cost_per_outcome_export(report, generated_at=GENERATED_AT))
    rows = list(csv.DictReader(io.StringIO(text.split("\n\n", 1)[1])))
    assert [(r["Intervention id"], r["Spend (£)"]) for r in rows] == [
        ("A", "1200.00"),
        ("B", "3600.00"),
        ("Total", "4800.00"),
    ]
    assert rows[-1][f"Cost per better-off outcome (£) {PER_ROW}"] == "4800.00"
