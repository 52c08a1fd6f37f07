"""Reading a download as a spreadsheet user would: the CSV's block saying what it is, then its
tables (each under its name when there are several)."""

from __future__ import annotations

import csv
import io


def csv_tables(text: str) -> tuple[dict[str, str], dict[str | None, list[dict[str, str]]]]:
    """The `label,value` block above the first blank line, and each table by its name (None for
    the one table of a single-table export)."""
    block, *sections = text.split("\n\n")
    tables: dict[str | None, list[dict[str, str]]] = {}
    for section in sections:
        name, table = section.split("\n", 1) if len(sections) > 1 else (None, section)
        tables[name] = list(csv.DictReader(io.StringIO(table)))
    return dict(csv.reader(io.StringIO(block))), tables


def csv_parts(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The block saying what the export is, and its first table."""
    about, tables = csv_tables(text)
    return about, next(iter(tables.values()))
