"""A valid payload of every event type, as its producer would send it (for the envelope and
fast-path tests)."""

from __future__ import annotations

from typing import Any

from shared.events.catalogue import commissioning as c
from shared.events.catalogue import ledger as ld
from shared.events.catalogue import outcomes as o

PROVIDER = {
    "provider_id": "prov-1",
    "name": "Oak Fostering",
    "kind": "independent",
    "ofsted_urn": None,
    "status": "active",
    "version": 1,
}
INTERVENTION = {
    "intervention": {
        "intervention_id": "iv-1",
        "provider_id": "prov-1",
        "title": "Independent fostering",
        "category": "independent_fostering",
        "pricing_model": "per_child_week",
        "prices": [
            {"effective_from": "2024-04-01", "unit_price_pence": 90_000},
            {"effective_from": "2025-04-01", "unit_price_pence": 93_000},
        ],
        "capacity": 12,
        "start_date": "2024-04-01",
        "end_date": "2026-03-31",
        "budget_pence": 50_000_000,
        "target_indicators": ["school_attendance", "sdq_total"],
        "status": "active",
        "version": 2,
    },
    "effective_date": "2024-04-01",
}
ENROLMENT = {
    "enrolment": {
        "enrolment_id": "en-1",
        "intervention_id": "iv-1",
        "provider_id": "prov-1",
        "child_ref": "C-0001",
        "start_date": "2024-05-06",
        "end_date": None,
        "end_reason": None,
        "status": "enrolled",
        "version": 1,
    }
}
INDICATOR = {
    "indicator": {
        "code": "school_attendance",
        "name": "School attendance",
        "description": "Percentage of sessions attended",
        "outcome_area": "enjoy_and_achieve",
        "unit": "percent",
        "min_value": 0.0,
        "max_value": 100,
        "direction": "higher_is_better",
        "improvement_threshold": 5.0,
        "age_band": {"min_age": 5, "max_age": 16},
        "introduced_on": "2024-01-01",
        "status": "active",
        "version": 1,
    }
}
OBSERVATION = {
    "observation_id": "obs-1",
    "child_ref": "C-0001",
    "indicator_code": "school_attendance",
    "indicator_version": 1,
    "value": 82.5,
    "observed_on": "2024-06-30",
    "provider_id": "prov-1",
    "intervention_id": "iv-1",
    "evidence_ref": None,
    "recorded_at": "2024-07-01T09:30:00.123000+00:00",
}
EXAMPLES: dict[str, dict[str, Any]] = {
    c.PROVIDER_REGISTERED: PROVIDER,
    c.PROVIDER_UPDATED: {**PROVIDER, "status": "inactive", "version": 2},
    c.INTERVENTION_COMMISSIONED: INTERVENTION,
    c.INTERVENTION_ACTIVATED: INTERVENTION,
    c.INTERVENTION_AMENDED: {**INTERVENTION, "unit_price_pence": 93_000},
    c.INTERVENTION_SUSPENDED: {**INTERVENTION, "reason": "inspection"},
    c.INTERVENTION_RESUMED: INTERVENTION,
    c.INTERVENTION_ENDED: {**INTERVENTION, "reason": None},
    c.INTERVENTION_CORRECTED: {
        **INTERVENTION,
        "corrected": ["title", "target_indicators"],
        "reason": "a typo in the indicator code",
    },
    c.CHILD_ENROLLED: ENROLMENT,
    c.ENROLMENT_ENDED: ENROLMENT,
    o.INDICATOR_ADDED: INDICATOR,
    o.INDICATOR_VERSIONED: INDICATOR,
    o.INDICATOR_RETIRED: INDICATOR,
    o.OBSERVATION_RECORDED: OBSERVATION,
    o.OBSERVATION_CORRECTED: {
        **OBSERVATION,
        "observation_id": "obs-2",
        "supersedes": "obs-1",
        "provider_id": None,
        "source": "council",
        "source_system": "SSDA903 return 2024",
    },
    o.OBSERVATION_WITHDRAWN: {
        "observation_id": "obs-1",
        "child_ref": "C-0001",
        "indicator_code": "school_attendance",
        "provider_id": "prov-1",
        "reason": "entered against the wrong child",
        "withdrawn_at": "2024-07-02T10:00:00+00:00",
    },
    o.NEEDS_ASSESSED: {
        "assessment_id": "na-1",
        "child_ref": "C-0001",
        "assessed_on": "2024-05-01",
        "scores": {"behaviour": 2, "learning_and_education": 3},
        "need_level": "high",
        "provider_id": None,
        "assessed_by_role": "social_worker",
    },
    ld.TRANSACTION_POSTED: {
        "transaction_id": "invoice:prov-1:INV-7",
        "kind": "invoice",
        "basis": "invoiced",
        "intervention_id": "iv-1",
        "provider_id": "prov-1",
        "reverses": None,
        "invoice_number": "INV-7",
        "source": "api:finance",
        "description": "May invoice",
        "posted_at": "2024-06-03T12:00:00+00:00",
        "postings": [
            {"account": "expense:iv-1", "amount_pence": 390_000},
            {"account": "payable:prov-1", "amount_pence": -390_000},
        ],
        "lines": [
            {
                "child_ref": "C-0001",
                "service_period_start": "2024-05-06",
                "service_period_end": "2024-05-31",
                "cost_pence": 390_000,
            },
            {
                "child_ref": None,
                "service_period_start": "2024-05-01",
                "service_period_end": "2024-05-31",
                "cost_pence": 0,
            },
        ],
    },
}
