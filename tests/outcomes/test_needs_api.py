"""Needs assessments through the API on the real stack."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.outcomes.service_layer.errors import NOT_HELD
from shared.events.catalogue.outcomes import NEED_DOMAINS, NEEDS_ASSESSED
from tests.outcomes.conftest import Stack

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]
Ids = Callable[[str], str]


def assessment(child_ref: str, **scores: int) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {
        "child_ref": child_ref,
        "assessed_on": (today - timedelta(days=3)).isoformat(),
        "scores": {domain: 1 for domain in NEED_DOMAINS} | scores,
    }


def test_a_provider_assesses_a_child_it_holds_and_the_event_is_keyed_by_child(
    stack: Stack, auth: Auth, ids: Ids
) -> None:
    provider, stranger, child = ids("prov"), ids("prov"), ids("child")
    stack.enrol(provider, child, datetime.now(UTC).date() - timedelta(days=30))
    headers = auth("provider", provider_id=provider)

    response = stack.client.post(
        "/needs-assessments", json=assessment(child, behaviour=3), headers=headers
    )
    assert response.status_code == 201, response.json
    assert response.json["need_level"] == "high"
    assert response.json["assessed_by_role"] == "provider"
    path = response.headers["Location"]
    assert stack.client.get(path, headers=auth("provider", provider_id=provider)).json == (
        response.json
    )
    assert stack.client.get(path, headers=auth("provider", provider_id=stranger)).status_code == (
        404
    )

    refused = stack.client.post(
        "/needs-assessments",
        json=assessment(child),
        headers=auth("provider", provider_id=stranger),
    )
    assert refused.status_code == 403
    assert refused.json["detail"] == NOT_HELD
    assert stack.db.audit_log.find_one({"provider_id": stranger, "outcome": "refused"})

    by_commissioner = stack.client.post(
        "/needs-assessments", json=assessment(child), headers=auth("commissioner")
    )
    assert by_commissioner.status_code == 201
    assert by_commissioner.json["need_level"] == "medium"
    assert by_commissioner.json["provider_id"] is None

    events = {e.data["assessment_id"]: e for e in stack.events_for(child, expect=2)}
    assert {e.type for e in events.values()} == {NEEDS_ASSESSED}
    first = events[response.json["assessment_id"]]
    assert first.data["scores"]["behaviour"] == 3
    assert first.data["need_level"] == "high"
    assert events[by_commissioner.json["assessment_id"]].data["assessed_by_role"] == "commissioner"


@pytest.mark.parametrize(
    ("body_changes", "field"),
    [
        ({"scores": {"behaviour": 1}}, "scores.identity"),
        ({"scores": {d: 1 for d in NEED_DOMAINS} | {"behaviour": 4}}, "scores.behaviour"),
        ({"scores": {d: 1 for d in NEED_DOMAINS} | {"behaviour": "2"}}, "scores.behaviour"),
        ({"scores": {d: 1 for d in NEED_DOMAINS} | {"astrology": 1}}, "scores.astrology"),
        ({"assessed_on": "2999-01-01"}, "assessed_on"),
    ],
)
def test_invalid_assessments_are_refused_naming_the_field(
    stack: Stack, auth: Auth, ids: Ids, body_changes: dict[str, Any], field: str
) -> None:
    child = ids("child")
    response = stack.client.post(
        "/needs-assessments",
        json=assessment(child) | body_changes,
        headers=auth("commissioner"),
    )
    assert response.status_code == 422, response.json
    assert field in [e["field"] for e in response.json["errors"]]


def test_finance_cannot_post_assessments(stack: Stack, auth: Auth, ids: Ids) -> None:
    response = stack.client.post(
        "/needs-assessments", json=assessment(ids("child")), headers=auth("finance")
    )
    assert response.status_code == 403
