"""Reading a finance system's export of invoice lines, and the council's mapping file.

The export (CSV, one row per invoice line; dates dd/mm/yyyy or yyyy-mm-dd; amounts in pounds):

    supplier_ref,invoice_number,line,amount,period_start,period_end,cost_centre,child_ref
    SUP0042,INV-1001,1,1250.00,01/04/2024,30/04/2024,CC4410,566910

`child_ref` is optional and is the council's own identifier of the child (as in its SSDA903
return): it is replaced by the child's keyed pseudonym as the row is read.

The mapping (CSV) says what suppliers and cost centres are in Acorn:

    kind,code,acorn
    supplier,SUP0042,prov-1a2b3c
    cost_centre,CC4410,int-9f8e7d
    cost_centre,CC4500,category:residential_care

A supplier is a provider (its id in Acorn). A cost centre is an intervention (its id), or a
category: then the line goes to the supplier's one intervention in that category.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from services.imports.domain.refusals import Refusal
from shared.money import MoneyError, parse_pence

COLUMNS = ("supplier_ref", "invoice_number", "line", "amount", "period_start", "period_end",
           "cost_centre")  # fmt: skip
MAPPING_COLUMNS = ("kind", "code", "acorn")
CATEGORY = "category:"


@dataclass(frozen=True)
class InvoiceLine:
    line: int  # in the file
    supplier: str
    invoice: str
    number: str  # the line's number on the invoice
    amount_pence: int
    start: date
    end: date
    cost_centre: str
    child_ref: str | None


@dataclass
class Mapping:
    providers: dict[str, str] = field(default_factory=dict)  # supplier -> provider_id
    cost_centres: dict[str, str] = field(default_factory=dict)  # -> intervention id or category:
    refusals: list[Refusal] = field(default_factory=list)


def _day(text: str) -> date:
    for form in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise ValueError(text)


def read_mapping(path: Path) -> Mapping:
    mapping = Mapping()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in MAPPING_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            mapping.refusals.append(Refusal(path.name, 1, missing[0], "is a missing column"))
            return mapping
        for row in reader:
            kind, code, acorn = ((row.get(c) or "").strip() for c in MAPPING_COLUMNS)
            where = {"supplier": mapping.providers, "cost_centre": mapping.cost_centres}.get(kind)
            if where is None:
                why = ("kind", "must be supplier or cost_centre")
            elif not code or not acorn:
                why = ("code" if not code else "acorn", "is blank")
            elif code in where:
                why = ("code", "is mapped on an earlier line")
            else:
                where[code] = acorn
                continue
            mapping.refusals.append(Refusal(path.name, reader.line_num, *why))
    return mapping


def read_invoice_lines(
    path: Path, *, pseudonym: Callable[[str], str]
) -> tuple[list[InvoiceLine], list[Refusal]]:
    found: list[InvoiceLine] = []
    refusals: list[Refusal] = []
    seen: dict[tuple[str, str, str], int] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            return [], [Refusal(path.name, 1, missing[0], "is a missing column")]
        for row in reader:
            line = reader.line_num
            cells = {k: (v or "").strip() for k, v in row.items() if k}
            problems: list[tuple[str, str]] = []
            for column in ("supplier_ref", "invoice_number", "line", "cost_centre"):
                if not cells[column]:
                    problems.append((column, "is blank"))
            try:
                pence = parse_pence(cells["amount"])
            except MoneyError:
                problems.append(("amount", "is not pounds with at most two decimal places"))
            days = []
            for column in ("period_start", "period_end"):
                try:
                    days.append(_day(cells[column]))
                except ValueError:
                    problems.append((column, "is not a date (dd/mm/yyyy or yyyy-mm-dd)"))
            if len(days) == 2 and days[1] < days[0]:
                problems.append(("period_end", "is before period_start"))
            key = (cells["supplier_ref"], cells["invoice_number"], cells["line"])
            if key in seen:
                problems.append(("line", f"repeats the invoice line on line {seen[key]}"))
            if problems:
                refusals.extend(Refusal(path.name, line, c, why) for c, why in problems)
                continue
            seen[key] = line
            child = cells.get("child_ref") or None
            found.append(
                InvoiceLine(line, *key, pence, days[0], days[1], cells["cost_centre"],
                            pseudonym(child) if child else None)
            )  # fmt: skip
    return found, refusals
