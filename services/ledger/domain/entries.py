"""Building balanced transactions of each kind from their cost lines.

The caller (finance, an accrual run, a commissioning event) says what the cost is; the postings
follow from the kind, so they balance by construction. Only adjustments take explicit postings,
and `Transaction` refuses them unless they sum to zero and agree with the lines.

| kind | postings (debit +, credit -) |
| --- | --- |
| commitment | `commitment:<iv>` +T, `budget:<FY>` -T (per financial year of the lines) |
| accrual | `expense:<iv>` +T, `accrued:<provider>` -T, and releasing the commitment: |
| | `commitment:<iv>` -T, `budget:<FY>` +T |
| invoice | `accrued:<provider>` +T, `payable:<provider>` -T |
| payment | `payable:<provider>` +T, `bank:main` -T |
| reversal | the original's postings and lines negated, on the original's basis |

Releasing commitments by the accrued amount can take a commitment below zero: that is the
signal that actual cost has overtaken what was committed, kept visible rather than capped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from services.ledger.domain import model
from services.ledger.domain.calendar import financial_year
from services.ledger.domain.model import CostLine, Posting, RuleBroken, Transaction

LineKey = tuple[str | None, date, date]


@dataclass(frozen=True)
class Tags:
    """What every transaction is tagged with, apart from its money."""

    transaction_id: str
    intervention_id: str
    provider_id: str
    accounting_date: date
    source: str
    description: str
    posted_at: datetime


def _postings(amounts: Iterable[tuple[str, int]]) -> tuple[Posting, ...]:
    """Postings per account in first-seen order, zero ones dropped (all zero: the first two)."""
    totals: dict[str, int] = {}
    for account, amount in amounts:
        totals[account] = totals.get(account, 0) + amount
    kept = [Posting(account, amount) for account, amount in totals.items() if amount]
    if kept:
        return tuple(kept)
    return tuple(Posting(account, 0) for account in list(totals)[:2])


def _by_financial_year(lines: Iterable[CostLine]) -> dict[str, int]:
    years: dict[str, int] = {}
    for line in lines:
        year = financial_year(line.start)
        years[year] = years.get(year, 0) + line.cost_pence
    return years


def postings_for(kind: str, tags: Tags, lines: tuple[CostLine, ...]) -> tuple[Posting, ...]:
    total = sum(line.cost_pence for line in lines)
    iv, provider = tags.intervention_id, tags.provider_id
    years = _by_financial_year(lines)
    if kind == "commitment":
        return _postings(
            [(model.commitment(iv), total)]
            + [(model.budget(year), -amount) for year, amount in years.items()]
        )
    if kind == "accrual":
        return _postings(
            [(model.expense(iv), total), (model.accrued(provider), -total)]
            + [(model.commitment(iv), -total)]
            + [(model.budget(year), amount) for year, amount in years.items()]
        )
    if kind == "invoice":
        return _postings([(model.accrued(provider), total), (model.payable(provider), -total)])
    if kind == "payment":
        return _postings([(model.payable(provider), total), (model.BANK, -total)])
    raise RuleBroken("kind", f"{kind} transactions are not built from lines alone")


def build(
    kind: str, tags: Tags, lines: Iterable[CostLine], *, invoice_number: str | None = None
) -> Transaction:
    """A commitment, accrual, invoice or payment whose postings follow from its lines."""
    lines = tuple(lines)
    if not lines:
        raise RuleBroken("lines", f"a {kind} needs at least one cost line")
    return Transaction(
        transaction_id=tags.transaction_id,
        kind=kind,
        basis=model.BASIS_OF_KIND.get(kind, ""),
        intervention_id=tags.intervention_id,
        provider_id=tags.provider_id,
        accounting_date=tags.accounting_date,
        source=tags.source,
        description=tags.description,
        posted_at=tags.posted_at,
        postings=postings_for(kind, tags, lines),
        lines=lines,
        invoice_number=invoice_number,
    )


def adjustment(
    tags: Tags, *, basis: str, postings: Iterable[Posting], lines: Iterable[CostLine]
) -> Transaction:
    """An adjustment: finance names the postings; they must balance and agree with the lines."""
    return Transaction(
        transaction_id=tags.transaction_id,
        kind="adjustment",
        basis=basis,
        intervention_id=tags.intervention_id,
        provider_id=tags.provider_id,
        accounting_date=tags.accounting_date,
        source=tags.source,
        description=tags.description,
        posted_at=tags.posted_at,
        postings=tuple(postings),
        lines=tuple(lines),
    )


def reversal(
    original: Transaction,
    *,
    accounting_date: date,
    source: str,
    description: str,
    posted_at: datetime,
) -> Transaction:
    """The reversal of `original`, under the one id its reversal can have."""
    if original.kind == "reversal":
        raise RuleBroken(
            "reverses", "a reversal cannot itself be reversed; post the transaction again"
        )
    return Transaction(
        transaction_id=model.reversal_id(original.transaction_id),
        kind="reversal",
        basis=original.basis,
        intervention_id=original.intervention_id,
        provider_id=original.provider_id,
        accounting_date=accounting_date,
        source=source,
        description=description,
        posted_at=posted_at,
        postings=tuple(Posting(p.account, -p.amount_pence) for p in original.postings),
        lines=tuple(line.negated() for line in original.lines),
        reverses=original.transaction_id,
    )


def net_lines(lines: Iterable[CostLine]) -> Counter[LineKey]:
    """Lines added up per (child, start, end)."""
    net: Counter[LineKey] = Counter()
    for line in lines:
        net[(line.child_ref, line.start, line.end)] += line.cost_pence
    return net


def difference(expected: Iterable[CostLine], already: Iterable[CostLine]) -> list[CostLine]:
    """The lines to post so that `already` plus them nets to `expected`, line by line.

    A change of period (an enrolment ended early) withdraws the old line and posts the new one,
    so the lines of a whole chain always add up to exactly the expected lines.
    """
    want, have = net_lines(expected), net_lines(already)
    keys = list(dict.fromkeys([*have, *want]))
    return [CostLine(*key, want[key] - have[key]) for key in keys if want[key] != have[key]]
