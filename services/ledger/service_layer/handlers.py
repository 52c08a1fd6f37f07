"""The ledger's use cases, one handler each, written against the repository contracts.

Idempotency everywhere comes from deterministic transaction ids under a unique key, never from a
check followed by an insert:

- API writes: the id is derived from the caller and the Idempotency-Key.
- Reversals: `reversal-of:<id>`, so a transaction can be reversed once, however many race.
- Commitments and accruals are *chains*: `<chain>:<n>` for n = 1, 2, ... where the chain is
  `commitment:<intervention>`, `accrual:<enrolment>:<YYYY-MM>` or `accrual:block:<iv>:<YYYY-MM>`.
  A run reads the chain (and any reversals of its links) by `_id`, compares what it adds up to with
  what current knowledge says it should be, and posts only the difference as the next link. Two
  runs racing both try the same next id; the loser re-reads and usually finds nothing left to do.
  So replayed events and repeated runs post nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from services.ledger.adapters.finance_records import FinanceRecords
from services.ledger.adapters.records import Record
from services.ledger.adapters.repository import (
    CommissioningView,
    DuplicateTransaction,
    TransactionRepository,
)
from services.ledger.domain import accrual, closing, entries
from services.ledger.domain.calendar import month_end, month_key, months
from services.ledger.domain.history import EnrolmentRevision, InterventionRevision
from services.ledger.domain.model import (
    Conflict,
    CostLine,
    NotFound,
    RuleBroken,
    Transaction,
    reversal_id,
)
from services.ledger.domain.terms import EnrolmentTerms, InterventionTerms
from services.ledger.service_layer.commands import PostTransaction, ReverseTransaction, RunAccruals


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Ledger:
    """What the handlers work with: the stores and a clock."""

    transactions: TransactionRepository
    commissioning: CommissioningView
    records: FinanceRecords
    clock: Callable[[], datetime] = utc_now

    def now(self) -> datetime:
        """The time, to the millisecond the database keeps, so what is returned is what is kept."""
        moment = self.clock()
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def today(self) -> date:
        return self.clock().date()

    def closed_months(self) -> set[str]:
        return closing.closed_months(self.records.month_actions())


def api_transaction_id(caller: str, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"{caller}\x1f{idempotency_key}".encode()).hexdigest()
    return f"api-{digest[:32]}"


def invoice_transaction_id(provider_id: str, invoice_number: str) -> str:
    """A provider's invoice number is posted once: its id is derived from the two."""
    digest = hashlib.sha256(f"{provider_id}\x1f{invoice_number}".encode()).hexdigest()
    return f"invoice-{digest[:32]}"


def provider_of(intervention_id: str, *, ledger: Ledger) -> str:
    provider_id = ledger.commissioning.provider_of(intervention_id)
    if provider_id is None:
        raise RuleBroken("intervention_id", f"intervention {intervention_id!r} is not known")
    return provider_id


def post_transaction(cmd: PostTransaction, *, ledger: Ledger) -> tuple[Transaction, bool]:
    """Post one transaction; returns it and whether this call posted it (False: a retry).

    An invoice's id comes from its provider and invoice number, so the same invoice cannot be
    posted twice, whatever Idempotency-Keys are used: an identical repeat has no effect, a
    different invoice under a number already posted is refused.
    """
    provider_id = provider_of(cmd.intervention_id, ledger=ledger)
    invoice_id = (
        invoice_transaction_id(provider_id, cmd.invoice_number)
        if cmd.kind == "invoice" and cmd.invoice_number
        else None
    )
    accounting_date = cmd.accounting_date or ledger.today()
    closing.check_open(accounting_date, ledger.closed_months())
    tags = entries.Tags(
        transaction_id=invoice_id or cmd.transaction_id,
        intervention_id=cmd.intervention_id,
        provider_id=provider_id,
        accounting_date=accounting_date,
        source=cmd.source,
        description=cmd.description,
        posted_at=ledger.now(),
    )
    if cmd.kind == "adjustment":
        txn = entries.adjustment(
            tags, basis=cmd.basis or "accrued", postings=cmd.postings or (), lines=cmd.lines
        )
    else:
        txn = entries.build(cmd.kind, tags, cmd.lines, invoice_number=cmd.invoice_number)
    posted, created = _add_once(txn, ledger=ledger)
    if invoice_id and not created and _content(posted) != _content(txn):
        raise Conflict(
            "invoice_number",
            f"invoice {cmd.invoice_number!r} of {provider_id} is already posted "
            f"as {posted.transaction_id}",
        )
    return posted, created


def _content(txn: Transaction) -> tuple[object, ...]:
    return (txn.intervention_id, txn.lines, txn.description, txn.source)


def _add_once(txn: Transaction, *, ledger: Ledger) -> tuple[Transaction, bool]:
    try:
        ledger.transactions.add(txn)
    except DuplicateTransaction:
        existing = ledger.transactions.get(txn.transaction_id)
        assert existing is not None  # append-only: a taken id stays taken
        return existing, False
    return txn, True


def reverse_transaction(cmd: ReverseTransaction, *, ledger: Ledger) -> Transaction:
    original = ledger.transactions.get(cmd.reverses)
    if original is None:
        raise NotFound("reverses", f"transaction {cmd.reverses!r} is not in the ledger")
    accounting_date = cmd.accounting_date or ledger.today()
    closing.check_open(accounting_date, ledger.closed_months())
    txn = entries.reversal(
        original,
        accounting_date=accounting_date,
        source=cmd.source,
        description=cmd.description,
        posted_at=ledger.now(),
    )
    try:
        ledger.transactions.add(txn)
    except DuplicateTransaction:
        raise Conflict(
            "reverses", f"transaction {cmd.reverses!r} has already been reversed"
        ) from None
    return txn


def post_difference(
    chain: str,
    expected: Iterable[CostLine],
    make: Callable[[str, list[CostLine]], Transaction],
    *,
    ledger: Ledger,
) -> Transaction | None:
    """Post the next link of `chain` so that the chain adds up to `expected`; None if it does."""
    expected = list(expected)
    while True:
        already: list[CostLine] = []
        link = 1
        while (txn := ledger.transactions.get(f"{chain}:{link}")) is not None:
            already.extend(txn.lines)
            undone = ledger.transactions.get(reversal_id(txn.transaction_id))
            if undone is not None:
                already.extend(undone.lines)
            link += 1
        lines = entries.difference(expected, already)
        if not lines:
            return None
        txn = make(f"{chain}:{link}", lines)
        try:
            ledger.transactions.add(txn)
        except DuplicateTransaction:
            continue  # another run took this link first: read the chain again
        return txn


def _chain_maker(
    kind: str,
    terms: InterventionTerms,
    *,
    accounting_date: date,
    source: str,
    description: str,
    ledger: Ledger,
    closed: set[str],
) -> Callable[[str, list[CostLine]], Transaction]:
    """Builds a chain's next link, dated on the first open day from `accounting_date`."""
    accounting_date = closing.first_open_day(accounting_date, closed)

    def make(transaction_id: str, lines: list[CostLine]) -> Transaction:
        tags = entries.Tags(
            transaction_id=transaction_id,
            intervention_id=terms.intervention_id,
            provider_id=terms.provider_id,
            accounting_date=accounting_date,
            source=source,
            description=description,
            posted_at=ledger.now(),
        )
        return entries.build(kind, tags, lines)

    return make


def commit_intervention(
    terms: InterventionTerms, *, source: str, ledger: Ledger
) -> Transaction | None:
    """Raise (or correct) the intervention's commitment to its current budget."""
    make = _chain_maker(
        "commitment",
        terms,
        accounting_date=ledger.today(),
        source=source,
        description=f"commitment of intervention {terms.intervention_id} (version {terms.version})",
        ledger=ledger,
        closed=ledger.closed_months(),
    )
    return post_difference(
        f"commitment:{terms.intervention_id}",
        accrual.commitment_lines(terms),
        make,
        ledger=ledger,
    )


def accrue_intervention(
    intervention_id: str, month_firsts: Iterable[date], *, source: str, ledger: Ledger
) -> list[Transaction]:
    """Bring the accruals of one intervention for the given months up to current knowledge."""
    month_firsts = list(month_firsts)
    if not month_firsts:
        return []  # no accrual run yet: nothing to bring up to date, so nothing to read
    terms = ledger.commissioning.intervention(intervention_id)
    if terms is None:
        return []  # its enrolments are kept; they accrue once the intervention is known
    enrolments = ledger.commissioning.enrolments_of(intervention_id)
    closed = ledger.closed_months()
    posted = []
    for first in month_firsts:
        make = _chain_maker(
            "accrual",
            terms,
            accounting_date=month_end(first),
            source=source,
            description=f"accrual for {month_key(first)}",
            ledger=ledger,
            closed=closed,
        )
        for chain, expected in _expected_accruals(terms, enrolments, first):
            txn = post_difference(chain, expected, make, ledger=ledger)
            if txn is not None:
                posted.append(txn)
    return posted


def _expected_accruals(
    terms: InterventionTerms, enrolments: list[EnrolmentTerms], first: date
) -> list[tuple[str, list[CostLine]]]:
    """(chain, expected lines) of each accrual of an intervention in the month starting `first`.

    Both the block chain and the per-enrolment chains are always brought up to date (the ones
    that do not fit the pricing model expect nothing), so a changed pricing model withdraws what
    the old one accrued.
    """
    month = month_key(first)
    return [
        (
            f"accrual:block:{terms.intervention_id}:{month}",
            accrual.block_lines(terms, enrolments, first),
        ),
        *(
            (f"accrual:{e.enrolment_id}:{month}", accrual.enrolment_lines(terms, e, first))
            for e in enrolments
        ),
    ]


def run_accruals(cmd: RunAccruals, *, ledger: Ledger) -> list[Transaction]:
    """Accrue every intervention for the months of the period; repeatable, posts only changes."""
    if cmd.period_start.day != 1:
        raise RuleBroken("period_start", "accrual runs cover whole months: use the 1st")
    if cmd.period_end != month_end(cmd.period_end):
        raise RuleBroken("period_end", "accrual runs cover whole months: use the last day")
    if cmd.period_end < cmd.period_start:
        raise RuleBroken("period_end", "is before period_start")
    month_firsts = months((cmd.period_start, cmd.period_end))
    ledger.commissioning.mark_accrued(month_firsts)
    posted = []
    for terms in ledger.commissioning.interventions():
        posted += accrue_intervention(
            terms.intervention_id, month_firsts, source=cmd.source, ledger=ledger
        )
    return posted


def record_intervention(
    terms: InterventionTerms, *, source: str, ledger: Ledger
) -> list[Transaction]:
    """A commissioning event about an intervention: keep the snapshot, update its commitment,
    and re-accrue the months already accrued (a price amendment changes them from its date)."""
    return record_commissioning([Snapshot(terms, source)], ledger=ledger)


def record_enrolment(terms: EnrolmentTerms, *, source: str, ledger: Ledger) -> list[Transaction]:
    """A commissioning event about an enrolment: keep it and re-accrue its intervention's
    already-accrued months (an enrolment ended mid-month stops accruing from the next day)."""
    return record_commissioning([Snapshot(terms, source)], ledger=ledger)


@dataclass(frozen=True)
class Snapshot:
    """What a commissioning event said about one intervention or enrolment, and which event."""

    terms: InterventionTerms | EnrolmentTerms
    source: str
    status: str = "active"  # an intervention's, as the event said
    effective_date: date | None = None  # the event's (an intervention's start if not given)


def record_providers(providers: list[Record], *, ledger: Ledger) -> None:
    """Provider events: each provider's latest name, for reports to print beside its id."""
    ledger.commissioning.save_providers(providers)


def record_commissioning(snapshots: list[Snapshot], *, ledger: Ledger) -> list[Transaction]:
    """Commissioning events, in the order received: keep every snapshot, then bring each
    intervention they touch up to date once (its commitment if it changed, and its accruals).

    The postings converge on what current knowledge says, so applying a run of events together
    ends where applying them one by one would, with fewer reads and no intermediate links.
    """
    interventions = [s.terms for s in snapshots if isinstance(s.terms, InterventionTerms)]
    recorded_at = ledger.now()
    ledger.records.add_revisions(
        (
            InterventionRevision(
                s.terms, s.status, s.effective_date or s.terms.start_date, recorded_at
            )
            for s in snapshots
            if isinstance(s.terms, InterventionTerms)
        ),
        (
            EnrolmentRevision(s.terms, recorded_at)
            for s in snapshots
            if isinstance(s.terms, EnrolmentTerms)
        ),
    )
    for intervention_terms in interventions:
        ledger.commissioning.save_intervention(intervention_terms)
    ledger.commissioning.save_enrolments(
        s.terms for s in snapshots if isinstance(s.terms, EnrolmentTerms)
    )
    last_source = {s.terms.intervention_id: s.source for s in snapshots}
    recommitted = {t.intervention_id for t in interventions}
    accrued_months = ledger.commissioning.accrued_months()
    posted: list[Transaction] = []
    for intervention_id, source in sorted(last_source.items()):
        current = ledger.commissioning.intervention(intervention_id)
        if current is None:
            continue  # its enrolments are kept; they accrue once the intervention is known
        if intervention_id in recommitted:
            committed = commit_intervention(current, source=source, ledger=ledger)
            posted += [committed] if committed else []
        posted += accrue_intervention(intervention_id, accrued_months, source=source, ledger=ledger)
    return posted
