"""What callers ask the ledger to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.ledger.domain.model import CostLine, Posting


@dataclass(frozen=True)
class PostTransaction:
    """Post a commitment, accrual, invoice, payment or adjustment for one intervention.

    `transaction_id` doubles as the idempotency key: the API derives it from the caller and their
    Idempotency-Key, so a retried request lands on the id of its first attempt.
    """

    transaction_id: str
    kind: str
    intervention_id: str
    description: str
    source: str
    lines: tuple[CostLine, ...]
    accounting_date: date | None = None
    invoice_number: str | None = None
    basis: str | None = None  # adjustments only
    postings: tuple[Posting, ...] | None = None  # adjustments only


@dataclass(frozen=True)
class ReverseTransaction:
    reverses: str
    description: str
    source: str
    accounting_date: date | None = None


@dataclass(frozen=True)
class RunAccruals:
    """Accrue every enrolment and block contract for the whole calendar months of a period."""

    period_start: date
    period_end: date
    source: str
