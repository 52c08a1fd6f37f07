"""Aggregates as plain snapshots (ISO dates, int pence): what events carry and the store keeps.

The snapshot of an intervention is exactly the catalogue's `Intervention` payload; the store adds
the embedded enrolments (`stored_intervention`) and the revision it is stored under.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.commissioning.domain.model import Enrolment, Intervention, PricePeriod, Provider

Snapshot = dict[str, Any]
PROVIDER_FIELDS = ("provider_id", "name", "kind", "ofsted_urn", "status", "version")


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def provider_snapshot(provider: Provider) -> Snapshot:
    return {
        "provider_id": provider.provider_id,
        "name": provider.name,
        "kind": provider.kind,
        "ofsted_urn": provider.ofsted_urn,
        "status": provider.status,
        "version": provider.version,
    }


def provider_from(snapshot: Snapshot) -> Provider:
    return Provider(**{name: snapshot[name] for name in PROVIDER_FIELDS})


def enrolment_snapshot(enrolment: Enrolment) -> Snapshot:
    return {
        "enrolment_id": enrolment.enrolment_id,
        "intervention_id": enrolment.intervention_id,
        "provider_id": enrolment.provider_id,
        "child_ref": enrolment.child_ref,
        "start_date": _day(enrolment.start_date),
        "end_date": _day(enrolment.end_date),
        "end_reason": enrolment.end_reason,
        "status": enrolment.status,
        "version": enrolment.version,
    }


def enrolment_from(snapshot: Snapshot) -> Enrolment:
    return Enrolment(
        enrolment_id=snapshot["enrolment_id"],
        intervention_id=snapshot["intervention_id"],
        provider_id=snapshot["provider_id"],
        child_ref=snapshot["child_ref"],
        start_date=date.fromisoformat(snapshot["start_date"]),
        end_date=_date(snapshot["end_date"]),
        end_reason=snapshot["end_reason"],
        status=snapshot["status"],
        version=snapshot["version"],
    )


def intervention_snapshot(intervention: Intervention) -> Snapshot:
    return {
        "intervention_id": intervention.intervention_id,
        "provider_id": intervention.provider_id,
        "title": intervention.title,
        "category": intervention.category,
        "pricing_model": intervention.pricing_model,
        "prices": [
            {"effective_from": _day(p.effective_from), "unit_price_pence": p.unit_price_pence}
            for p in intervention.prices
        ],
        "capacity": intervention.capacity,
        "start_date": _day(intervention.start_date),
        "end_date": _day(intervention.end_date),
        "budget_pence": intervention.budget_pence,
        "target_indicators": list(intervention.target_indicators),
        "status": intervention.status,
        "withdrawn": intervention.withdrawn,
        "version": intervention.version,
    }


def stored_intervention(intervention: Intervention) -> Snapshot:
    return {
        **intervention_snapshot(intervention),
        "enrolments": [enrolment_snapshot(e) for e in intervention.enrolments],
    }


def intervention_from(stored: Snapshot) -> Intervention:
    return Intervention(
        intervention_id=stored["intervention_id"],
        provider_id=stored["provider_id"],
        title=stored["title"],
        category=stored["category"],
        pricing_model=stored["pricing_model"],
        prices=[
            PricePeriod(date.fromisoformat(p["effective_from"]), p["unit_price_pence"])
            for p in stored["prices"]
        ],
        capacity=stored["capacity"],
        start_date=date.fromisoformat(stored["start_date"]),
        end_date=date.fromisoformat(stored["end_date"]),
        budget_pence=stored["budget_pence"],
        target_indicators=list(stored["target_indicators"]),
        status=stored["status"],
        version=stored["version"],
        revision=stored["revision"],
        enrolments=[enrolment_from(e) for e in stored["enrolments"]],
        withdrawn=stored.get("withdrawn", False),
    )
