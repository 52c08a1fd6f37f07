"""Use case: post a finance system's invoice lines to the ledger, through its API, as finance.

Each invoice line becomes one invoice transaction on its intervention (from the mapping), its
invoice number `<invoice>/<line>`: the ledger keeps one invoice number once per provider, so a
line is posted once however often the export is imported, and the Idempotency-Key (from
supplier, invoice and line) makes a second import answer as the first did. A line imported
before with other figures is refused: a posted invoice is corrected by a reversal in the
ledger, not by posting it again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from services.imports.adapters.acorn_api import AcornApi, Refused
from services.imports.adapters.finance_files import (
    CATEGORY,
    InvoiceLine,
    Mapping,
    read_invoice_lines,
    read_mapping,
)
from services.imports.domain.pseudonyms import child_ref
from services.imports.domain.refusals import Refusal

FINANCE = "finance"


@dataclass
class FinanceReport:
    lines: int = 0
    posted: int = 0
    already_posted: int = 0
    pence_posted: int = 0
    refusals: list[Refusal] = field(default_factory=list)

    def summary(self) -> list[str]:
        return [
            f"finance export: {self.lines} invoice lines",
            f"  posted: {self.posted} (£{self.pence_posted / 100:,.2f}); "
            f"already posted before: {self.already_posted}",
            f"  refused rows: {len(self.refusals)}",
        ]


def import_finance(
    export: Path, mapping_file: Path, *, api: AcornApi, pseudonym_key: str
) -> FinanceReport:
    mapping = read_mapping(mapping_file)
    lines, refusals = read_invoice_lines(export, pseudonym=partial(child_ref, pseudonym_key))
    report = FinanceReport(lines=len(lines) + len({r.line for r in refusals}))
    report.refusals = mapping.refusals + refusals
    by_category = _interventions_by_provider_and_category(api)
    for item in lines:
        target = _intervention_of(item, mapping, by_category, export.name)
        if isinstance(target, Refusal):
            report.refusals.append(target)
            continue
        _post(api, item, target, report, export.name)
    report.refusals.sort()
    return report


def _interventions_by_provider_and_category(api: AcornApi) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for k in api.all_pages("commissioning", "/interventions", role=FINANCE):
        found[(k["provider_id"], k["category"])].append(k["intervention_id"])
    return found


def _intervention_of(
    item: InvoiceLine,
    mapping: Mapping,
    by_category: dict[tuple[str, str], list[str]],
    file: str,
) -> str | Refusal:
    def refuse(column: str, why: str) -> Refusal:
        return Refusal(file, item.line, column, why)

    target = mapping.cost_centres.get(item.cost_centre)
    if target is None:
        return refuse("cost_centre", "is not in the mapping file")
    if not target.startswith(CATEGORY):
        return target
    provider = mapping.providers.get(item.supplier)
    if provider is None:
        return refuse("supplier_ref", "is not in the mapping file")
    candidates = by_category.get((provider, target.removeprefix(CATEGORY)), [])
    if len(candidates) != 1:
        return refuse("cost_centre", f"maps to {target}, in which the supplier has "
                      f"{len(candidates)} interventions, not one")  # fmt: skip
    return candidates[0]


def _post(
    api: AcornApi, item: InvoiceLine, intervention: str, report: FinanceReport, file: str
) -> None:
    body: dict[str, Any] = {
        "kind": "invoice",
        "intervention_id": intervention,
        "description": f"invoice {item.invoice} line {item.number}, cost centre {item.cost_centre}",
        "invoice_number": f"{item.invoice}/{item.number}",
        "lines": [
            {
                "child_ref": item.child_ref,
                "service_period_start": item.start.isoformat(),
                "service_period_end": item.end.isoformat(),
                "amount": item.amount_pence,
            }
        ],
    }
    key = f"finance-{item.supplier}-{item.invoice}-{item.number}"
    try:
        answer = api.post("ledger", "/transactions", role=FINANCE, key=key, json=body)
    except Refused as error:
        if error.status == 409 and "already posted" in str(error):
            report.already_posted += 1  # by another import than this caller's
            return
        why = (
            "was imported before with other figures: correct a posted invoice by a reversal"
            if error.status == 422 and "Idempotency-Key" in str(error)
            else str(error)
        )
        report.refusals.append(Refusal(file, item.line, "", why))
        return
    if answer.headers.get("Idempotent-Replayed") == "true":
        report.already_posted += 1
    else:
        report.posted += 1
        report.pence_posted += item.amount_pence
