"""The `transaction_posted` event of a transaction, published through the outbox."""

from __future__ import annotations

from services.ledger.adapters.records import posted_at_iso
from services.ledger.domain.model import Transaction
from shared.events.catalogue.ledger import TRANSACTION_POSTED
from shared.events.envelope import Envelope
from shared.logs import current_correlation_id

SOURCE = "acorn/ledger"


def transaction_posted(txn: Transaction) -> Envelope:
    """Keyed by intervention (one intervention's transactions stay in order), else by its own id."""
    return Envelope(
        type=TRANSACTION_POSTED,
        source=SOURCE,
        subject=txn.transaction_id,
        partitionkey=txn.intervention_id or txn.transaction_id,
        correlationid=current_correlation_id(),
        data={
            "transaction_id": txn.transaction_id,
            "kind": txn.kind,
            "basis": txn.basis,
            "intervention_id": txn.intervention_id,
            "provider_id": txn.provider_id,
            "reverses": txn.reverses,
            "invoice_number": txn.invoice_number,
            "source": txn.source,
            "description": txn.description,
            "posted_at": posted_at_iso(txn.posted_at),
            "postings": [
                {"account": p.account, "amount_pence": p.amount_pence} for p in txn.postings
            ],
            "lines": [
                {
                    "child_ref": line.child_ref,
                    "service_period_start": line.start.isoformat(),
                    "service_period_end": line.end.isoformat(),
                    "cost_pence": line.cost_pence,
                }
                for line in txn.lines
            ],
        },
    )
