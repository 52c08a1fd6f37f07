"""CSV and XLSX downloads of a report's table. Money columns (`*_pence`) become exact Decimal
pounds: a numeric cell with a £ format in XLSX, never a float the spreadsheet rounded."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from shared.money import pence_to_decimal

POUNDS_FORMAT = '"£"#,##0.00'


def table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Headers and cells; `x_pence` columns become `x (£)` with Decimal pounds, and the printed
    twin `x` (a '£1,200.00' string) is left out."""
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    keys = [k for k in keys if f"{k}_pence" not in keys]
    headers = [f"{k.removesuffix('_pence')} (£)" if k.endswith("_pence") else k for k in keys]
    cells = [
        [
            pence_to_decimal(row[k])
            if k.endswith("_pence") and isinstance(row.get(k), int)
            else row.get(k)
            for k in keys
        ]
        for row in rows
    ]
    return headers, cells


def to_csv(rows: list[dict[str, Any]]) -> str:
    headers, cells = table(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(cells)
    return out.getvalue()


def to_xlsx(rows: list[dict[str, Any]], *, title: str) -> bytes:
    from openpyxl import Workbook  # imported on first use: most report processes never export

    headers, cells = table(rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(headers)
    for line in cells:
        sheet.append(line)
    money_columns = [i for i, h in enumerate(headers, start=1) if h.endswith("(£)")]
    for column in money_columns:
        for row in range(2, len(cells) + 2):
            cell = sheet.cell(row=row, column=column)
            if isinstance(cell.value, Decimal):
                cell.number_format = POUNDS_FORMAT
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
