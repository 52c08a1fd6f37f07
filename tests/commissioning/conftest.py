"""The commissioning app on the real database, and a small client that speaks its API."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.commissioning.entrypoints.api import create_app
from shared.config import ServiceSettings

PERIOD = {"start_date": "2025-01-01", "end_date": "2025-12-31"}


@pytest.fixture
def app(service_env: Callable[..., dict[str, str]]) -> Iterator[Flask]:
    settings = ServiceSettings.from_env("commissioning", environ=service_env("commissioning"))
    app = create_app(settings)
    yield app
    app.extensions["acorn"].runtime.client.close()


class Api:
    """Requests as a role (commissioner by default), each write with a fresh Idempotency-Key."""

    def __init__(self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        self.client = client
        self.auth = auth

    def headers(
        self,
        role: str,
        *,
        as_provider: str | None = None,
        if_match: str | None = None,
        key: str | None = None,
        subject: str | None = None,
    ) -> dict[str, str]:
        headers = self.auth(role, provider_id=as_provider, key=key, subject=subject)
        if if_match is not None:
            headers["If-Match"] = if_match
        return headers

    def get(
        self,
        path: str,
        *,
        role: str = "commissioner",
        as_provider: str | None = None,
        **query: Any,
    ) -> TestResponse:
        """GET as `role`; a provider's token carries `as_provider` as its provider id."""
        return self.client.get(
            path, query_string=query, headers=self.headers(role, as_provider=as_provider)
        )

    def post(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        role: str = "commissioner",
        **kw: Any,
    ) -> TestResponse:
        return self.client.post(path, json=body or {}, headers=self.headers(role, **kw))

    def patch(
        self, path: str, body: dict[str, Any], *, role: str = "commissioner", **kw: Any
    ) -> TestResponse:
        return self.client.patch(path, json=body, headers=self.headers(role, **kw))

    # -- building records -------------------------------------------------------------------

    def provider(self, **fields: Any) -> dict[str, Any]:
        body = {"name": f"Provider {uuid.uuid4().hex[:6]}", "kind": "independent", **fields}
        return created(self.post("/providers", body))

    def intervention(self, provider_id: str, **fields: Any) -> dict[str, Any]:
        return created(self.post("/interventions", intervention_body(provider_id, **fields)))

    def active_intervention(self, provider_id: str, **fields: Any) -> dict[str, Any]:
        draft = self.intervention(provider_id, **fields)
        response = self.post(
            f"/interventions/{draft['intervention_id']}/activate",
            {"effective_date": draft["start_date"]},
            if_match='"v1"',
        )
        assert response.status_code == 200, response.json
        return response.json

    def enrol(self, intervention_id: str, child_ref: str, start_date: str) -> TestResponse:
        return self.post(
            f"/interventions/{intervention_id}/enrolments",
            {"child_ref": child_ref, "start_date": start_date},
        )


def intervention_body(provider_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "provider_id": provider_id,
        "title": "Family support programme",
        "category": "family_support",
        "pricing_model": "per_child_week",
        "unit_price_pence": 10_000,
        "capacity": 2,
        **PERIOD,
        "budget_pence": 2_000_000,
        "target_indicators": ["school_attendance"],
        **fields,
    }


def created(response: TestResponse) -> dict[str, Any]:
    assert response.status_code == 201, response.json
    body: dict[str, Any] = response.json
    return body


def refused(response: TestResponse, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert a problem-details refusal with `status`, naming `field` when given."""
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    problem: dict[str, Any] = response.json
    assert problem["status"] == status and problem["detail"]
    if field is not None:
        assert field in [error["field"] for error in problem.get("errors", [])], problem
    return problem


@pytest.fixture
def api(app: Flask, auth: Callable[..., dict[str, str]]) -> Api:
    return Api(app.test_client(), auth)
