"""What every service's HTTP API shares, on all four: probes, auth, problems, audit, docs."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient

from shared.config import ServiceSettings

SERVICES = ("commissioning", "outcomes", "ledger", "value")
pytestmark = pytest.mark.integration


@pytest.fixture(params=SERVICES)
def client(
    request: pytest.FixtureRequest, service_env: Callable[..., dict[str, str]]
) -> Iterator[FlaskClient]:
    service = request.param
    extras = importlib.import_module(f"services.{service}.settings").EXTRAS
    api = importlib.import_module(f"services.{service}.entrypoints.api")
    settings = ServiceSettings.from_env(service, extras=extras, environ=service_env(service))
    app = api.create_app(settings)
    yield app.test_client()
    app.extensions["acorn_idempotency"].collection.database.client.close()


def test_probes_and_docs_are_open(client: FlaskClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").get_json()["status"] == "ready"
    assert b"http_requests_total" in client.get("/metrics").data
    spec = client.get("/openapi.json").get_json()
    assert "/audit" in spec["paths"]
    assert "bearer" in spec["components"]["securitySchemes"]


def test_requests_without_a_valid_token_get_a_401_problem(client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
        response = client.get("/audit", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_audit_trail_is_for_auditors_and_admins(
    client: FlaskClient, auth: Callable[..., dict[str, str]]
) -> None:
    for role in ("auditor", "admin"):
        body = client.get("/audit", headers=auth(role)).get_json()
        assert body["page"] == 1 and body["total"] == len(body["items"])
    assert client.get("/audit", headers=auth("finance")).status_code == 403
    assert client.get("/audit", headers=auth("provider", provider_id="p1")).status_code == 403


def test_the_correlation_id_is_echoed_or_made(
    client: FlaskClient, auth: Callable[..., dict[str, str]]
) -> None:
    sent = client.get("/audit", headers={**auth("auditor"), "X-Correlation-ID": "trace-42"})
    assert sent.headers["X-Correlation-ID"] == "trace-42"
    made = client.get("/audit", headers=auth("auditor"))
    assert len(made.headers["X-Correlation-ID"]) == 36
