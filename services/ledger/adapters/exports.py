"""A report's rows as a CSV or XLSX download, money exact.

Columns ending `_pence` become `<name> (£)` holding exact Decimal pounds: in XLSX a number with a
pound format, never a float the spreadsheet rounded. When it was generated, as at when, and the
report's parameters go in an `about` sheet of the workbook, and beside a CSV in the response's
headers (`services.ledger.entrypoints.views.finance`), so the table itself stays one header row
and data.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from shared.money import pence_to_decimal

POUNDS = '"£"#,##0.00'
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def columns(rows: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names += [name for name in row if name not in names]
    return names


def heading(name: str) -> str:
    return f"{name.removesuffix('_pence')} (£)" if name.endswith("_pence") else name


def cell(name: str, value: Any) -> Any:
    if name.endswith("_pence") and isinstance(value, int):
        return pence_to_decimal(value)
    if isinstance(value, (dict, list)):
        return str(value)
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    names = columns(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([heading(n) for n in names])
    writer.writerows([[cell(n, row.get(n)) for n in names] for row in rows])
    return out.getvalue()


def to_xlsx(rows: list[dict[str, Any]], *, title: str, about: dict[str, Any]) -> bytes:
    from openpyxl import Workbook  # on first use: most requests never export

    names = columns(rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([heading(n) for n in names])
    for row in rows:
        sheet.append([cell(n, row.get(n)) for n in names])
        for column, _ in enumerate(names, start=1):
            written = sheet.cell(row=sheet.max_row, column=column)
            if isinstance(written.value, Decimal):
                written.number_format = POUNDS
    notes = workbook.create_sheet("about")
    for key, value in about.items():
        notes.append([key, cell(key, value)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
