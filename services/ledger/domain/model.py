"""Transactions: immutable, balanced double entry in whole pence, with the cost lines they carry.

A `Transaction` checks its own rules when it is built, so an unbalanced or inconsistent one cannot
exist in memory, let alone be stored. Amounts are signed: positive debits, negative credits.

Accounts are `<type>:<key>` strings:

| account | what it holds |
| --- | --- |
| `expense:<intervention>` | spend of an intervention on the accrued basis (debit) |
| `accrued:<provider>` | cost accrued but not yet invoiced by the provider (credit) |
| `payable:<provider>` | invoiced and owed to the provider (credit) |
| `commitment:<intervention>` | expected cost committed and not yet released by actual cost |
| `budget:<financial year>` | the other side of commitments: budget of the year taken up |
| `bank:main` | cash at bank |

Each basis has one measuring account type, and a transaction's cost lines must add up to what it
posts there (`MEASURES`): commitments to `commitment`, accruals to `expense`, invoices to the credit
of `payable`, payments to the credit of `bank`. That is what makes "lines summed on a basis" and
"the ledger's spend on that basis" the same number. Only accrued-basis transactions touch
`expense`, so the expense accounts always equal the accrued spend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

KINDS = ("commitment", "accrual", "invoice", "payment", "adjustment", "reversal")
BASES = ("committed", "accrued", "invoiced", "paid")
BASIS_OF_KIND = {
    "commitment": "committed",
    "accrual": "accrued",
    "invoice": "invoiced",
    "payment": "paid",
}
ACCOUNT_TYPES = ("expense", "accrued", "payable", "commitment", "budget", "bank")
# basis -> (account type measured, sign turning its postings into cost)
MEASURES = {
    "committed": ("commitment", 1),
    "accrued": ("expense", 1),
    "invoiced": ("payable", -1),
    "paid": ("bank", -1),
}
# accounts kept per intervention or per provider may only be posted for the tagged one
_OWNERS = {
    "expense": "intervention_id",
    "commitment": "intervention_id",
    "accrued": "provider_id",
    "payable": "provider_id",
}
BANK = "bank:main"
REVERSAL_PREFIX = "reversal-of:"
_ACCOUNT = re.compile(rf"^({'|'.join(ACCOUNT_TYPES)}):[A-Za-z0-9][A-Za-z0-9_.:-]{{0,99}}$")


class RuleBroken(ValueError):
    """A write the ledger refuses; `field` names what the caller has to fix."""

    status = 422

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Conflict(RuleBroken):
    """A write that clashes with what is already in the ledger (e.g. a second reversal)."""

    status = 409


class NotFound(RuleBroken):
    status = 404


def expense(intervention_id: str) -> str:
    return f"expense:{intervention_id}"


def accrued(provider_id: str) -> str:
    return f"accrued:{provider_id}"


def payable(provider_id: str) -> str:
    return f"payable:{provider_id}"


def commitment(intervention_id: str) -> str:
    return f"commitment:{intervention_id}"


def budget(financial_year: str) -> str:
    return f"budget:{financial_year}"


def account_type(account: str) -> str:
    return account.split(":", 1)[0]


def is_account(account: str) -> bool:
    return _ACCOUNT.match(account) is not None


def reversal_id(transaction_id: str) -> str:
    """The one id a reversal of `transaction_id` can have: a second reversal is a duplicate key."""
    return f"{REVERSAL_PREFIX}{transaction_id}"


@dataclass(frozen=True)
class Posting:
    account: str
    amount_pence: int


@dataclass(frozen=True)
class CostLine:
    """Cost on the transaction's basis for one child (or none: block amounts) over a period."""

    child_ref: str | None
    start: date
    end: date
    cost_pence: int

    def negated(self) -> CostLine:
        return CostLine(self.child_ref, self.start, self.end, -self.cost_pence)


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    kind: str
    basis: str
    intervention_id: str | None
    provider_id: str | None
    accounting_date: date
    source: str
    description: str
    posted_at: datetime
    postings: tuple[Posting, ...]
    lines: tuple[CostLine, ...] = ()
    reverses: str | None = None
    invoice_number: str | None = None
    child_ref: str | None = field(init=False)
    service_period: tuple[date, date] | None = field(init=False)

    def __post_init__(self) -> None:
        children = {line.child_ref for line in self.lines}
        only = children.pop() if len(children) == 1 else None
        object.__setattr__(self, "child_ref", only)
        period = (
            (min(line.start for line in self.lines), max(line.end for line in self.lines))
            if self.lines
            else None
        )
        object.__setattr__(self, "service_period", period)
        problems = rule_violations(self)
        if problems:
            field_name, reason = problems[0]
            raise RuleBroken(field_name, reason)

    @property
    def cost_pence(self) -> int:
        return sum(line.cost_pence for line in self.lines)


def measured_cost(basis: str, postings: tuple[Posting, ...]) -> int:
    """What the postings put on the basis's measuring account, as cost."""
    measured_type, sign = MEASURES[basis]
    return sign * sum(p.amount_pence for p in postings if account_type(p.account) == measured_type)


def _is_pence(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def rule_violations(txn: Transaction) -> list[tuple[str, str]]:
    """Every rule of a single transaction it breaks, as (field, reason); empty if none."""
    problems: list[tuple[str, str]] = []
    if txn.kind not in KINDS:
        problems.append(("kind", f"must be one of {', '.join(KINDS)}"))
    if txn.basis not in BASES:
        return [*problems, ("basis", f"must be one of {', '.join(BASES)}")]
    if txn.kind in BASIS_OF_KIND and txn.basis != BASIS_OF_KIND[txn.kind]:
        problems.append(("basis", f"a {txn.kind} is on the {BASIS_OF_KIND[txn.kind]} basis"))
    if len(txn.postings) < 2:
        problems.append(("postings", "a transaction has at least two postings"))
    for index, posting in enumerate(txn.postings):
        owner = _OWNERS.get(account_type(posting.account))
        if not is_account(posting.account):
            problems.append((f"postings.{index}.account", f"unknown account {posting.account!r}"))
        elif owner and posting.account.split(":", 1)[1] != getattr(txn, owner):
            problems.append(
                (f"postings.{index}.account", f"is not an account of the transaction's {owner}")
            )
        if not _is_pence(posting.amount_pence):
            problems.append((f"postings.{index}.amount", "must be whole pence"))
    for index, line in enumerate(txn.lines):
        if not _is_pence(line.cost_pence):
            problems.append((f"lines.{index}.amount", "must be whole pence"))
        if line.end < line.start:
            problems.append((f"lines.{index}.service_period_end", "is before the start"))
    if problems:
        return problems
    total = sum(p.amount_pence for p in txn.postings)
    if total != 0:
        problems.append(("postings", f"postings must sum to zero; they sum to {total} pence"))
    measured = measured_cost(txn.basis, txn.postings)
    if txn.cost_pence != measured:
        problems.append(
            (
                "lines",
                f"cost lines add up to {txn.cost_pence} pence but the postings put {measured} "
                f"pence on the {txn.basis} basis",
            )
        )
    if txn.basis != "accrued" and any(account_type(p.account) == "expense" for p in txn.postings):
        problems.append(("postings", "only accrued-basis transactions post to expense accounts"))
    if (txn.kind == "reversal") != (txn.reverses is not None):
        problems.append(("reverses", "a reversal, and only a reversal, names what it reverses"))
    if txn.kind == "invoice" and not txn.invoice_number:
        problems.append(("invoice_number", "an invoice needs the provider's invoice number"))
    return problems
