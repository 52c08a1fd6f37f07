"""Observations as a provider's spreadsheet: reading an upload (CSV or XLSX), and writing the
template and the file of refused rows.

One row a reading, under a header row naming the columns (`COLUMNS`; the optional ones may be
left out). A cell becomes what the JSON batch would carry: a number for `value`, an ISO date for
`observed_on` (a date cell, `yyyy-mm-dd` or `dd/mm/yyyy`), empty optional cells null; the rows
then go through the same checks as the batch endpoint. Cells that cannot be read are left as
they are, so the batch's schema refuses them by field. Blank rows are skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    "child_ref",
    "indicator_code",
    "value",
    "observed_on",
    "intervention_id",
    "evidence_ref",
    "source_system",
)
REQUIRED = COLUMNS[:4]
INDICATOR_COLUMNS = ("code", "name", "unit", "min_value", "max_value", "direction")


class SpreadsheetError(ValueError):
    """The upload cannot be read as a sheet of observations at all (format, header)."""


def read_upload(body: bytes, media_type: str) -> list[tuple[int, dict[str, Any]]]:
    """(line in the sheet, row as the batch's JSON would be) for every row that is not blank."""
    if media_type == CSV:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise SpreadsheetError("the CSV file is not UTF-8 text") from error
        lines: Iterable[list[Any]] = csv.reader(io.StringIO(text))
    elif media_type == XLSX:
        lines = _xlsx_rows(body)
    else:
        raise SpreadsheetError(f"send {CSV} or {XLSX}")
    rows = iter(lines)
    header = [str(cell or "").strip() for cell in next(rows, [])]
    missing = [column for column in REQUIRED if column not in header]
    unknown = [column for column in header if column and column not in COLUMNS]
    if missing or unknown:
        raise SpreadsheetError(
            "the header row must name the columns "
            + ", ".join(COLUMNS)
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not a column: {', '.join(unknown)}" if unknown else "")
        )
    found = []
    for line, cells in enumerate(rows, start=2):
        row = {column: _cell(column, value) for column, value in zip(header, cells, strict=False)}
        if any(value is not None for value in row.values()):
            found.append((line, {k: v for k, v in row.items() if k}))
    return found


def _xlsx_rows(body: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # imported on first use: most requests are JSON

    try:
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise SpreadsheetError("the file is not an XLSX workbook") from error
    for row in workbook.worksheets[0].iter_rows(values_only=True):
        yield list(row)


def _cell(column: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        return None
    if column == "value":
        return _number(value)
    if column == "observed_on":
        return _day(value)
    return value if isinstance(value, str) else str(value)


def _number(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        number = float(str(value))
    except ValueError:
        return str(value)  # refused by the schema as "must be a number"
    return int(number) if number.is_integer() else number


def _day(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    try:
        return datetime.strptime(text, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return text  # ISO dates pass as they are; anything else is refused by the schema


def template(indicators: list[dict[str, Any]], media_type: str) -> bytes:
    """An empty sheet with the header row; as XLSX, a second sheet lists the indicators."""
    if media_type == CSV:
        return _csv([list(COLUMNS)])
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "observations"
    sheet.append(list(COLUMNS))
    listed = workbook.create_sheet("indicators")
    listed.append(list(INDICATOR_COLUMNS))
    for indicator in indicators:
        listed.append([indicator[column] for column in INDICATOR_COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def refused_rows(refused: list[tuple[int, dict[str, Any], str]]) -> bytes:
    """The refused rows as CSV, each with its line in the upload and the reasons, to correct
    and send again."""
    header = ["line", *COLUMNS, "reason"]
    lines = [[line, *(row.get(c) for c in COLUMNS), reason] for line, row, reason in refused]
    return _csv([header, *lines])


def _csv(lines: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return out.getvalue().encode()
