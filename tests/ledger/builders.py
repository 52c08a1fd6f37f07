"""Commissioning snapshots and events as the commissioning service would send them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.ledger.domain.terms import EnrolmentTerms, InterventionTerms, PricePeriod
from shared.events.catalogue import commissioning
from shared.events.envelope import Envelope

FIXED_NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def intervention(
    intervention_id: str = "iv-1",
    *,
    provider_id: str = "prov-1",
    pricing_model: str = "per_child_week",
    prices: tuple[tuple[date, int], ...] = ((date(2025, 1, 1), 10_000),),
    start: date = date(2025, 1, 1),
    end: date = date(2025, 12, 31),
    budget_pence: int = 1_000_000,
    category: str = "family_support",
    version: int = 1,
    withdrawn: bool = False,
) -> InterventionTerms:
    return InterventionTerms(
        intervention_id=intervention_id,
        provider_id=provider_id,
        category=category,
        pricing_model=pricing_model,
        prices=tuple(PricePeriod(day, price) for day, price in prices),
        start_date=start,
        end_date=end,
        budget_pence=budget_pence,
        version=version,
        withdrawn=withdrawn,
    )


def enrolment(
    enrolment_id: str = "en-1",
    *,
    intervention_id: str = "iv-1",
    provider_id: str = "prov-1",
    child_ref: str = "C001",
    start: date = date(2025, 1, 6),
    end: date | None = None,
    version: int = 1,
) -> EnrolmentTerms:
    return EnrolmentTerms(
        enrolment_id=enrolment_id,
        intervention_id=intervention_id,
        provider_id=provider_id,
        child_ref=child_ref,
        start_date=start,
        end_date=end,
        version=version,
    )


def intervention_payload(terms: InterventionTerms, status: str = "active") -> dict[str, Any]:
    return {
        "intervention_id": terms.intervention_id,
        "provider_id": terms.provider_id,
        "title": f"Intervention {terms.intervention_id}",
        "category": terms.category,
        "pricing_model": terms.pricing_model,
        "prices": [
            {"effective_from": p.effective_from.isoformat(), "unit_price_pence": p.unit_price_pence}
            for p in terms.prices
        ],
        "capacity": 20,
        "start_date": terms.start_date.isoformat(),
        "end_date": terms.end_date.isoformat(),
        "budget_pence": terms.budget_pence,
        "target_indicators": ["attendance"],
        "status": status,
        "withdrawn": terms.withdrawn,
        "version": terms.version,
    }


def intervention_event(
    terms: InterventionTerms,
    type_: str = commissioning.INTERVENTION_COMMISSIONED,
    *,
    status: str = "active",
    **extra: Any,
) -> Envelope:
    data: dict[str, Any] = {
        "intervention": intervention_payload(terms, status),
        "effective_date": terms.start_date.isoformat(),
        **extra,
    }
    if type_ == commissioning.INTERVENTION_AMENDED:
        latest = max(terms.prices, key=lambda p: p.effective_from)
        data["effective_date"] = latest.effective_from.isoformat()
        data["unit_price_pence"] = latest.unit_price_pence
    return Envelope(
        type=type_,
        source="acorn/commissioning",
        subject=terms.intervention_id,
        data=data,
        correlationid="corr-test",
    )


def enrolment_event(terms: EnrolmentTerms) -> Envelope:
    ended = terms.end_date is not None
    return Envelope(
        type=commissioning.ENROLMENT_ENDED if ended else commissioning.CHILD_ENROLLED,
        source="acorn/commissioning",
        subject=terms.enrolment_id,
        data={
            "enrolment": {
                "enrolment_id": terms.enrolment_id,
                "intervention_id": terms.intervention_id,
                "provider_id": terms.provider_id,
                "child_ref": terms.child_ref,
                "start_date": terms.start_date.isoformat(),
                "end_date": terms.end_date.isoformat() if ended else None,
                "end_reason": "moved on" if ended else None,
                "status": "ended" if ended else "enrolled",
                "version": terms.version,
            }
        },
        correlationid="corr-test",
    )


def provider_event(provider_id: str, name: str, *, version: int = 1) -> Envelope:
    return Envelope(
        type=commissioning.PROVIDER_REGISTERED if version == 1 else commissioning.PROVIDER_UPDATED,
        source="acorn/commissioning",
        subject=provider_id,
        data={
            "provider_id": provider_id,
            "name": name,
            "kind": "voluntary",
            "ofsted_urn": None,
            "status": "active",
            "version": version,
        },
        correlationid="corr-test",
    )
