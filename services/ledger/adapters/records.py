"""Transactions and commissioning snapshots as stored documents (dates as ISO strings)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.ledger.domain.model import CostLine, Posting, Transaction
from services.ledger.domain.terms import EnrolmentTerms, InterventionTerms, PricePeriod

Record = dict[str, Any]


def _day(value: str) -> date:
    return date.fromisoformat(value)


def transaction_record(txn: Transaction) -> Record:
    period = txn.service_period
    return {
        "_id": txn.transaction_id,
        "kind": txn.kind,
        "basis": txn.basis,
        "intervention_id": txn.intervention_id,
        "provider_id": txn.provider_id,
        "child_ref": txn.child_ref,
        "service_period_start": period[0].isoformat() if period else None,
        "service_period_end": period[1].isoformat() if period else None,
        "accounting_date": txn.accounting_date.isoformat(),
        "source": txn.source,
        "description": txn.description,
        "posted_at": txn.posted_at,
        "reverses": txn.reverses,
        "invoice_number": txn.invoice_number,
        "postings": [{"account": p.account, "amount_pence": p.amount_pence} for p in txn.postings],
        "lines": [
            {
                "child_ref": line.child_ref,
                "service_period_start": line.start.isoformat(),
                "service_period_end": line.end.isoformat(),
                "cost_pence": line.cost_pence,
            }
            for line in txn.lines
        ],
    }


def transaction_from_record(record: Record) -> Transaction:
    """The stored transaction; raises `RuleBroken` (or KeyError) if the record breaks a rule."""
    return Transaction(
        transaction_id=record["_id"],
        kind=record["kind"],
        basis=record["basis"],
        intervention_id=record["intervention_id"],
        provider_id=record["provider_id"],
        accounting_date=_day(record["accounting_date"]),
        source=record["source"],
        description=record["description"],
        posted_at=record["posted_at"],
        reverses=record["reverses"],
        invoice_number=record["invoice_number"],
        postings=tuple(Posting(p["account"], p["amount_pence"]) for p in record["postings"]),
        lines=tuple(
            CostLine(
                line["child_ref"],
                _day(line["service_period_start"]),
                _day(line["service_period_end"]),
                line["cost_pence"],
            )
            for line in record["lines"]
        ),
    )


def intervention_record(terms: InterventionTerms) -> Record:
    return {
        "_id": terms.intervention_id,
        "provider_id": terms.provider_id,
        "category": terms.category,
        "pricing_model": terms.pricing_model,
        "prices": [
            {"effective_from": p.effective_from.isoformat(), "unit_price_pence": p.unit_price_pence}
            for p in terms.prices
        ],
        "start_date": terms.start_date.isoformat(),
        "end_date": terms.end_date.isoformat(),
        "budget_pence": terms.budget_pence,
        "withdrawn": terms.withdrawn,
        "version": terms.version,
        "title": terms.title,
    }


def intervention_from_record(record: Record) -> InterventionTerms:
    return InterventionTerms(
        intervention_id=record["_id"],
        provider_id=record["provider_id"],
        category=record["category"],
        pricing_model=record["pricing_model"],
        prices=tuple(
            PricePeriod(_day(p["effective_from"]), p["unit_price_pence"]) for p in record["prices"]
        ),
        start_date=_day(record["start_date"]),
        end_date=_day(record["end_date"]),
        budget_pence=record["budget_pence"],
        version=record["version"],
        withdrawn=record.get("withdrawn", False),
        title=record.get("title", ""),  # recorded before titles were kept: none
    )


def enrolment_record(terms: EnrolmentTerms) -> Record:
    return {
        "_id": terms.enrolment_id,
        "intervention_id": terms.intervention_id,
        "provider_id": terms.provider_id,
        "child_ref": terms.child_ref,
        "start_date": terms.start_date.isoformat(),
        "end_date": terms.end_date.isoformat() if terms.end_date else None,
        "version": terms.version,
    }


def enrolment_from_record(record: Record) -> EnrolmentTerms:
    return EnrolmentTerms(
        enrolment_id=record["_id"],
        intervention_id=record["intervention_id"],
        provider_id=record["provider_id"],
        child_ref=record["child_ref"],
        start_date=_day(record["start_date"]),
        end_date=_day(record["end_date"]) if record["end_date"] else None,
        version=record["version"],
    )


def intervention_from_event(data: dict[str, Any]) -> InterventionTerms:
    """The snapshot an `intervention_*` event carries (JSON: dates as ISO strings)."""
    snapshot = data["intervention"]
    return InterventionTerms(
        intervention_id=snapshot["intervention_id"],
        provider_id=snapshot["provider_id"],
        category=snapshot["category"],
        pricing_model=snapshot["pricing_model"],
        prices=tuple(
            PricePeriod(_day(p["effective_from"]), p["unit_price_pence"])
            for p in snapshot["prices"]
        ),
        start_date=_day(snapshot["start_date"]),
        end_date=_day(snapshot["end_date"]),
        budget_pence=snapshot["budget_pence"],
        version=snapshot["version"],
        withdrawn=snapshot.get("withdrawn", False),
        title=snapshot["title"],
    )


def enrolment_from_event(data: dict[str, Any]) -> EnrolmentTerms:
    snapshot = data["enrolment"]
    return EnrolmentTerms(
        enrolment_id=snapshot["enrolment_id"],
        intervention_id=snapshot["intervention_id"],
        provider_id=snapshot["provider_id"],
        child_ref=snapshot["child_ref"],
        start_date=_day(snapshot["start_date"]),
        end_date=_day(snapshot["end_date"]) if snapshot.get("end_date") else None,
        version=snapshot["version"],
    )


def posted_at_iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def provider_from_event(data: dict[str, Any]) -> Record:
    """A `provider_*` event's name and version, as the ledger keeps them (to name providers in
    its reports)."""
    return {"_id": data["provider_id"], "name": data["name"], "version": data["version"]}
