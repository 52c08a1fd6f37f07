"""The outcome framework through the API: seeding, adding, versioning, retiring, the guardrail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.outcomes.domain.framework import DEFAULT_FRAMEWORK
from shared.events.catalogue.outcomes import (
    INDICATOR_ADDED,
    INDICATOR_RETIRED,
    INDICATOR_VERSIONED,
)
from tests.outcomes.conftest import Stack, outcomes_app

pytestmark = pytest.mark.integration


def new_indicator(code: str, **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Reading age gap",
        "description": "Months between reading age and chronological age.",
        "outcome_area": "enjoy_and_achieve",
        "unit": "score",
        "min_value": 0,
        "max_value": 120,
        "direction": "lower_is_better",
        "improvement_threshold": 6,
        "introduced_on": "2024-09-01",
        "sources": ["Council reading recovery guidance"],
        **changes,
    }


def test_the_default_framework_is_seeded_once_with_sources_and_no_warning(
    stack: Stack, auth: Callable[..., dict[str, str]]
) -> None:
    response = stack.client.get("/indicators", headers=auth("finance"))
    assert response.status_code == 200
    codes = {item["code"] for item in response.json["items"]}
    assert {i.code for i in DEFAULT_FRAMEWORK} <= codes
    sdq = next(i for i in response.json["items"] if i["code"] == "sdq_total_difficulties")
    assert (sdq["min_value"], sdq["max_value"], sdq["direction"]) == (0, 40, "lower_is_better")
    assert sdq["sources"]
    assert response.json["guardrail"]["limit"] == 20

    # a second process on the same database seeds nothing twice
    with outcomes_app(stack.env) as again:
        assert again.get("/indicators", headers=auth("finance")).status_code == 200
    seeded = stack.events_for("school_attendance", expect=1)
    assert [e.type for e in seeded] == [INDICATOR_ADDED]
    assert stack.db.indicators.count_documents({"_id": "school_attendance"}) == 1


def test_a_council_adds_versions_and_retires_an_indicator(
    stack: Stack, auth: Callable[..., dict[str, str]], ids: Callable[[str], str]
) -> None:
    code = ids("reading").replace("-", "_")
    added = stack.client.post("/indicators", json=new_indicator(code), headers=auth("admin"))
    assert added.status_code == 201, added.json
    assert added.json["indicator"]["version"] == 1
    assert added.headers["ETag"] == '"v1"'

    twice = stack.client.post("/indicators", json=new_indicator(code), headers=auth("admin"))
    assert twice.status_code == 409

    definition = {
        k: v for k, v in new_indicator(code).items() if k not in ("code", "introduced_on")
    }
    definition["improvement_threshold"] = 3
    headers = auth("commissioner") | {"If-Match": '"v1"'}
    versioned = stack.client.put(f"/indicators/{code}", json=definition, headers=headers)
    assert versioned.status_code == 200, versioned.json
    assert versioned.json["indicator"]["version"] == 2
    assert versioned.json["indicator"]["improvement_threshold"] == 3

    stale = stack.client.put(
        f"/indicators/{code}", json=definition, headers=auth("commissioner") | {"If-Match": '"v1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["ETag"] == '"v2"'
    missing = stack.client.put(f"/indicators/{code}", json=definition, headers=auth("admin"))
    assert missing.status_code == 428

    retired = stack.client.post(
        f"/indicators/{code}/retirement", headers=auth("admin") | {"If-Match": '"v2"'}
    )
    assert retired.status_code == 200
    assert retired.json["indicator"]["status"] == "retired"
    again = stack.client.post(
        f"/indicators/{code}/retirement", headers=auth("admin") | {"If-Match": '"v3"'}
    )
    assert again.status_code == 409

    detail = stack.client.get(f"/indicators/{code}", headers=auth("provider", provider_id="p1"))
    assert detail.json["status"] == "retired"
    assert [old["version"] for old in detail.json["history"]] == [1, 2]
    assert detail.headers["ETag"] == '"v3"'
    listed = stack.client.get("/indicators?status=retired", headers=auth("auditor"))
    assert code in [item["code"] for item in listed.json["items"]]

    events = stack.events_for(code, expect=3)
    assert [e.type for e in events] == [INDICATOR_ADDED, INDICATOR_VERSIONED, INDICATOR_RETIRED]
    assert [e.data["indicator"]["version"] for e in events] == [1, 2, 3]
    assert {e.source for e in events} == {"acorn/outcomes"}


@pytest.mark.parametrize(
    ("role", "changes", "status", "field"),
    [
        ("provider", {}, 403, None),
        ("finance", {}, 403, None),
        ("admin", {"min_value": 10, "max_value": 5}, 422, "min_value"),
        ("admin", {"unit": "yes_no", "max_value": 2}, 422, "min_value"),
        ("admin", {"improvement_threshold": 500}, 422, "improvement_threshold"),
        ("admin", {"unit": "stars"}, 422, "unit"),
        ("admin", {"max_value": "120"}, 422, "max_value"),
        ("admin", {"colour": "green"}, 422, "colour"),
    ],
)
def test_adding_an_indicator_is_refused(
    stack: Stack,
    auth: Callable[..., dict[str, str]],
    ids: Callable[[str], str],
    role: str,
    changes: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    code = ids("bad").replace("-", "_")
    response = stack.client.post(
        "/indicators",
        json=new_indicator(code, **changes),
        headers=auth(role, provider_id="p1" if role == "provider" else None),
    )
    assert response.status_code == status, response.json
    if field:
        assert field in [e["field"] for e in response.json["errors"]]
    assert stack.db.indicators.find_one({"_id": code}) is None


def test_the_guardrail_warns_when_too_many_indicators_are_active(
    service_env: Callable[..., dict[str, str]], auth: Callable[..., dict[str, str]]
) -> None:
    limit = len(DEFAULT_FRAMEWORK)
    env = service_env("outcomes", ACORN_OUTCOMES_INDICATOR_GUARDRAIL=str(limit))
    with outcomes_app(env) as client:
        listed = client.get("/indicators", headers=auth("commissioner"))
        assert listed.json["guardrail"] == {"active": limit, "limit": limit, "warning": None}
        added = client.post(
            "/indicators", json=new_indicator("one_too_many"), headers=auth("admin")
        )
        assert added.status_code == 201
        assert "too many indicators" in added.json["guardrail"]["warning"]
        listed = client.get("/indicators", headers=auth("commissioner"))
    assert listed.json["guardrail"]["active"] == limit + 1
    assert listed.json["guardrail"]["warning"]


def test_the_api_documents_the_guardrail_the_batch_limit_and_idempotency(stack: Stack) -> None:
    spec = stack.client.get("/openapi.json").json
    assert {"/indicators", "/observations", "/observations/batch", "/needs-assessments"} <= set(
        spec["paths"]
    )
    description = spec["info"]["description"]
    assert "ACORN_OUTCOMES_INDICATOR_GUARDRAIL" in description
    assert "1,000" in description
    batch = spec["paths"]["/observations/batch"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in batch["parameters"]]
