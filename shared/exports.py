"""Reports as CSV and XLSX downloads a finance officer can trust: they say what they are, and
every column a reader would sum adds up to the total shown.

An `Export` is a report's description (`about`: report, period, basis, rule, grouping,
suppression, generated at, as at ...) and its tables. A CSV carries the description as a block of
`label,value` lines, a blank line, then each table (its name on a line first when there are
several); a workbook has an "About" sheet and one sheet per table, each with its header row
frozen and filters on it.

Columns have a kind. Money comes as integer pence and is written as exact Decimal pounds (a number
with a £ format in XLSX, never a float the spreadsheet rounded); counts as whole numbers; decimals
and percentages (the reports' fixed-point strings) as exact Decimals with as many places as the
report gives. "suppressed" and other words stay words, so a spreadsheet's SUM skips them.

A `summed` column's rows add up to its table's total: where rounding each row to the penny (or to
three places), or small numbers suppressed, leave the rows short of the total, a row saying so
carries the difference. A numeric column that is not summed (children served, where a child may
be counted on several rows; ratios) says "per row, do not sum" in its heading.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.money import pence_to_decimal

TEXT, MONEY, COUNT, DECIMAL, PERCENT = "text", "money", "count", "decimal", "percent"
NUMERIC = (MONEY, COUNT, DECIMAL, PERCENT)
POUNDS_FORMAT = '"£"#,##0.00'
COUNT_FORMAT = "#,##0"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_IN_ROWS = "Not in the rows above (rounding of each row, small numbers suppressed)"
TOTAL = "Total"


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    kind: str = TEXT
    summed: bool = False  # its rows add up to the table's total

    @property
    def title(self) -> str:
        unit = {MONEY: " (£)", PERCENT: " (%)"}.get(self.kind, "")
        per_row = " (per row, do not sum)" if self.kind in NUMERIC and not self.summed else ""
        return f"{self.heading}{unit}{per_row}"


@dataclass(frozen=True)
class Table:
    name: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    total: dict[str, Any] | None = None  # its summed columns' totals, its first column's label

    def lines(self) -> list[dict[str, Any]]:
        """The rows, then (when there is a total) what the rows leave out and the total."""
        if self.total is None:
            return list(self.rows)
        first = self.columns[0].key
        missing: dict[str, Any] = {}
        for column in self.columns:
            if not column.summed:
                continue
            whole = _amount(column, self.total.get(column.key))
            shown = [_amount(column, row.get(column.key)) for row in self.rows]
            if whole is None:
                continue
            difference = whole - sum((s for s in shown if s is not None), start=Decimal(0))
            if difference:
                missing[column.key] = (
                    int(difference) if column.kind in (MONEY, COUNT) else str(difference)
                )
        ending = [{**missing, first: NOT_IN_ROWS}] if missing else []
        return [*self.rows, *ending, {**self.total, first: self.total.get(first) or TOTAL}]


@dataclass(frozen=True)
class Export:
    name: str  # the file name without its extension: it differs by the report's parameters
    about: Sequence[tuple[str, Any]]
    tables: Sequence[Table] = field(default_factory=list)


def _amount(column: Column, value: Any) -> Decimal | None:
    """A summed column's value as a number to add; None for words ("suppressed") and blanks."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def cell(column: Column, value: Any) -> Any:
    """What a cell holds: exact numbers for numeric kinds, words otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column.kind == MONEY and isinstance(value, int):
        return pence_to_decimal(value)
    if column.kind == COUNT and isinstance(value, int):
        return value
    if column.kind in (DECIMAL, PERCENT, COUNT):
        number = _amount(column, value)
        if number is not None:
            return int(number) if column.kind == COUNT and number == int(number) else number
    if isinstance(value, (dict, list)):
        return str(value)
    return value


def file_name(*parts: Any) -> str:
    """`cost-per-outcome_2024-04-01_2025-03-31_invoiced`: the parts that tell two files apart."""
    return "_".join(
        str(p).replace("_", "-").replace(" ", "-") for p in parts if p not in (None, "")
    )


def to_csv(export: Export) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([label, cell(Column(label, label), value)] for label, value in export.about)
    for table in export.tables:
        writer.writerow([])
        if len(export.tables) > 1:
            writer.writerow([table.name])
        writer.writerow([c.title for c in table.columns])
        writer.writerows([cell(c, row.get(c.key)) for c in table.columns] for row in table.lines())
    return out.getvalue()


def to_xlsx(export: Export) -> bytes:
    from openpyxl import Workbook  # on first use: most requests never export
    from openpyxl.styles import Font

    workbook = Workbook()
    about = workbook.active
    about.title = "About"
    for label, value in export.about:
        about.append([label, cell(Column(label, label), value)])
        about.cell(row=about.max_row, column=1).font = Font(bold=True)
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 80
    for table in export.tables:
        sheet = workbook.create_sheet(table.name[:31])
        _write_table(sheet, table, bold=Font(bold=True))
    workbook.active = 1 if export.tables else 0  # opens on the figures; "About" is the first tab
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_table(sheet: Any, table: Table, *, bold: Any) -> None:
    from openpyxl.utils import get_column_letter

    sheet.append([c.title for c in table.columns])
    for heading in sheet[1]:
        heading.font = bold
    lines = table.lines()
    data_rows = len(table.rows)
    for n, line in enumerate(lines):
        if n == data_rows:
            sheet.append([])  # the totals stand apart, out of the filter's and a sort's way
        sheet.append([cell(c, line.get(c.key)) for c in table.columns])
        for position, column in enumerate(table.columns, start=1):
            written = sheet.cell(row=sheet.max_row, column=position)
            written.number_format = _number_format(column, written.value)
            if n >= data_rows:
                written.font = bold
    last = get_column_letter(len(table.columns))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last}{data_rows + 1}"
    for position, column in enumerate(table.columns, start=1):
        widest = max([len(column.title), *(len(str(line.get(column.key) or "")) for line in lines)])
        sheet.column_dimensions[get_column_letter(position)].width = min(max(widest + 2, 10), 60)


def _number_format(column: Column, value: Any) -> str:
    if isinstance(value, Decimal):
        if column.kind == MONEY:
            return POUNDS_FORMAT
        places = max(0, -int(value.as_tuple().exponent))
        return "#,##0" + ("." + "0" * places if places else "")
    if isinstance(value, int) and not isinstance(value, bool):
        return COUNT_FORMAT
    return "General"
