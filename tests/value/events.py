"""Envelopes as the commissioning, outcomes and ledger services publish them."""

from __future__ import annotations

from typing import Any

from shared.events.catalogue import commissioning as c
from shared.events.catalogue import ledger as ledger_events
from shared.events.catalogue import outcomes as o
from shared.events.envelope import Envelope

RECORDED_AT = "2025-04-01T09:00:00Z"


def provider(provider_id: str, *, name: str = "Oak Family Support", version: int = 1) -> Envelope:
    data = {
        "provider_id": provider_id,
        "name": name,
        "kind": "voluntary",
        "ofsted_urn": None,
        "status": "active",
        "version": version,
    }
    return Envelope(
        type=c.PROVIDER_REGISTERED, source="acorn/commissioning", subject=provider_id, data=data
    )


def intervention(
    intervention_id: str,
    *,
    provider_id: str,
    price: int,
    targets: list[str],
    category: str = "education_support",
    pricing_model: str = "per_child_week",
    start: str = "2024-04-01",
    end: str = "2026-03-31",
    version: int = 1,
    title: str | None = None,
) -> Envelope:
    snapshot = {
        "intervention_id": intervention_id,
        "provider_id": provider_id,
        "title": title or f"Intervention {intervention_id}",
        "category": category,
        "pricing_model": pricing_model,
        "prices": [{"effective_from": start, "unit_price_pence": price}],
        "capacity": 500,
        "start_date": start,
        "end_date": end,
        "budget_pence": 100_000_000,
        "target_indicators": targets,
        "status": "active",
        "version": version,
    }
    return Envelope(
        type=c.INTERVENTION_COMMISSIONED,
        source="acorn/commissioning",
        subject=intervention_id,
        data={"intervention": snapshot, "effective_date": start},
    )


def enrolment(
    enrolment_id: str,
    *,
    intervention_id: str,
    provider_id: str,
    child_ref: str,
    start: str,
    end: str | None,
    version: int = 1,
) -> Envelope:
    snapshot = {
        "enrolment_id": enrolment_id,
        "intervention_id": intervention_id,
        "provider_id": provider_id,
        "child_ref": child_ref,
        "start_date": start,
        "end_date": end,
        "end_reason": None,
        "status": "ended" if end else "enrolled",
        "version": version,
    }
    return Envelope(
        type=c.ENROLMENT_ENDED if end else c.CHILD_ENROLLED,
        source="acorn/commissioning",
        subject=enrolment_id,
        data={"enrolment": snapshot},
    )


def indicator(
    code: str,
    *,
    threshold: float = 5,
    direction: str = "higher_is_better",
    unit: str = "percent",
    area: str = "enjoy_and_achieve",
) -> Envelope:
    snapshot = {
        "code": code,
        "name": code.replace("_", " ").capitalize(),
        "description": f"{code} of the child",
        "outcome_area": area,
        "unit": unit,
        "min_value": 0,
        "max_value": 100,
        "direction": direction,
        "improvement_threshold": threshold,
        "age_band": None,
        "introduced_on": "2020-01-01",
        "status": "active",
        "version": 1,
    }
    return Envelope(
        type=o.INDICATOR_ADDED, source="acorn/outcomes", subject=code, data={"indicator": snapshot}
    )


def observation(
    observation_id: str,
    *,
    child_ref: str,
    code: str,
    value: float,
    on: str,
    provider_id: str,
    supersedes: str | None = None,
    recorded_at: str = RECORDED_AT,
) -> Envelope:
    data: dict[str, Any] = {
        "observation_id": observation_id,
        "child_ref": child_ref,
        "indicator_code": code,
        "indicator_version": 1,
        "value": value,
        "observed_on": on,
        "provider_id": provider_id,
        "intervention_id": None,
        "evidence_ref": None,
        "recorded_at": recorded_at,
    }
    if supersedes:
        data["supersedes"] = supersedes
    return Envelope(
        type=o.OBSERVATION_CORRECTED if supersedes else o.OBSERVATION_RECORDED,
        source="acorn/outcomes",
        subject=observation_id,
        partitionkey=child_ref,
        data=data,
    )


def withdrawal(observation_id: str, *, child_ref: str, code: str, provider_id: str) -> Envelope:
    data = {
        "observation_id": observation_id,
        "child_ref": child_ref,
        "indicator_code": code,
        "provider_id": provider_id,
        "reason": "entered against the wrong child",
        "withdrawn_at": RECORDED_AT,
    }
    return Envelope(
        type=o.OBSERVATION_WITHDRAWN,
        source="acorn/outcomes",
        subject=observation_id,
        partitionkey=child_ref,
        data=data,
    )


def needs(assessment_id: str, *, child_ref: str, on: str, level: str) -> Envelope:
    data = {
        "assessment_id": assessment_id,
        "child_ref": child_ref,
        "assessed_on": on,
        "scores": {"behaviour": 2},
        "need_level": level,
        "provider_id": None,
        "assessed_by_role": "commissioner",
    }
    return Envelope(
        type=o.NEEDS_ASSESSED,
        source="acorn/outcomes",
        subject=assessment_id,
        partitionkey=child_ref,
        data=data,
    )


def transaction(
    transaction_id: str,
    *,
    intervention_id: str | None,
    provider_id: str | None,
    lines: list[tuple[str | None, str, str, int]],
    basis: str = "invoiced",
    kind: str = "invoice",
    reverses: str | None = None,
) -> Envelope:
    """`lines`: (child_ref or None, service period start, end, cost in pence)."""
    total = sum(line[3] for line in lines)
    data = {
        "transaction_id": transaction_id,
        "kind": kind,
        "basis": basis,
        "intervention_id": intervention_id,
        "provider_id": provider_id,
        "reverses": reverses,
        "invoice_number": None,
        "source": "test",
        "description": f"{kind} {transaction_id}",
        "posted_at": RECORDED_AT,
        "postings": [
            {"account": "expenditure", "amount_pence": total},
            {"account": "creditors", "amount_pence": -total},
        ],
        "lines": [
            {
                "child_ref": child,
                "service_period_start": start,
                "service_period_end": end,
                "cost_pence": cost,
            }
            for child, start, end, cost in lines
        ],
    }
    return Envelope(
        type=ledger_events.TRANSACTION_POSTED,
        source="acorn/ledger",
        subject=transaction_id,
        partitionkey=intervention_id or transaction_id,
        data=data,
    )


def worked_example(child_ref: str = "child-c1") -> dict[str, list[Envelope]]:
    """domain.md's worked example, as the three services would publish it, by topic."""
    return {
        "commissioning": [
            provider("prov-oak"),
            intervention("int-a", provider_id="prov-oak", price=10_000, targets=["attendance"]),
            intervention("int-b", provider_id="prov-oak", price=30_000, targets=["attendance"]),
            enrolment(
                "enr-a",
                intervention_id="int-a",
                provider_id="prov-oak",
                child_ref=child_ref,
                start="2025-01-06",
                end="2025-03-30",
            ),
            enrolment(
                "enr-b",
                intervention_id="int-b",
                provider_id="prov-oak",
                child_ref=child_ref,
                start="2025-01-06",
                end="2025-03-30",
            ),
        ],
        "outcomes": [
            indicator("attendance"),
            observation(
                "obs-1",
                child_ref=child_ref,
                code="attendance",
                value=80,
                on="2025-01-03",
                provider_id="prov-oak",
            ),
            observation(
                "obs-2",
                child_ref=child_ref,
                code="attendance",
                value=92,
                on="2025-03-28",
                provider_id="prov-oak",
            ),
        ],
        "ledger": [
            transaction(
                "tx-a",
                intervention_id="int-a",
                provider_id="prov-oak",
                lines=[(child_ref, "2025-01-06", "2025-03-30", 120_000)],
            ),
            transaction(
                "tx-b",
                intervention_id="int-b",
                provider_id="prov-oak",
                lines=[(child_ref, "2025-01-06", "2025-03-30", 360_000)],
            ),
        ],
    }
