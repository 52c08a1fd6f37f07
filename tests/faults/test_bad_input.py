"""Every kind of bad input a probe found answering 500, or accepted when it should not be: each
is now a 4xx RFC 9457 problem naming the field, and nothing is written."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient

from shared.fields import FIRST_DAY, LAST_DAY
from tests.support.identity import TEST_JWT

Client = Callable[[str], FlaskClient]
PROVIDER_ID = "prv-0000000000000001"
INTERVENTION = {
    "provider_id": PROVIDER_ID,
    "title": "Attendance mentoring",
    "category": "early_help",
    "pricing_model": "per_child_week",
    "unit_price_pence": 10_000,
    "capacity": 10,
    "start_date": "2025-01-01",
    "end_date": "2025-12-31",
    "budget_pence": 1_000_000,
}
INVOICE = {
    "kind": "invoice",
    "intervention_id": "int-0000000000000001",
    "description": "January",
    "invoice_number": "INV-1",
    "lines": [
        {
            "child_ref": "C1-ref",
            "service_period_start": "2025-01-01",
            "service_period_end": "2025-01-31",
            "amount": 120_000,
        }
    ],
}
OBSERVATION = {
    "child_ref": "C1-ref",
    "indicator_code": "school_attendance",
    "value": 80,
    "observed_on": "2025-01-03",
}


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    if field is not None:
        fields = [error["field"] for error in body.get("errors") or []]
        assert any(name == field or name.startswith(f"{field}.") for name in fields), body
    return body


def post(client: FlaskClient, auth: Callable[..., dict[str, str]], path: str, **kwargs: Any) -> Any:
    role = kwargs.pop("role", "commissioner")
    headers = {
        **auth(role, provider_id=kwargs.pop("provider_id", None)),
        **kwargs.pop("headers", {}),
    }
    if "json" in kwargs:  # written by the standard library, which writes any integer
        kwargs["data"] = json.dumps(kwargs.pop("json"))
        headers["Content-Type"] = "application/json"
    return client.post(path, headers=headers, **kwargs)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity": 2**70}, "capacity"),
        ({"capacity": 100_001}, "capacity"),
        ({"budget_pence": 2**63}, "budget_pence"),
        ({"budget_pence": 10**30}, "budget_pence"),
        ({"budget_pence": "1e30.00"}, "budget_pence"),
        ({"budget_pence": "9" * 5000}, "budget_pence"),
        ({"target_indicators": ["school_attendance"] * 30_000}, "target_indicators"),
        ({"title": "Mentoring\x00"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"start_date": "0001-01-01", "end_date": "9999-12-31"}, "start_date"),
        ({"provider_id": "prv-1\n"}, "provider_id"),
    ],
)
def test_commissioning_refuses_each_out_of_range_value(
    client_of: Client, auth: Callable[..., dict[str, str]], changes: dict[str, Any], field: str
) -> None:
    client = client_of("commissioning")
    response = post(client, auth, "/interventions", json={**INTERVENTION, **changes})
    assert response.status_code in (400, 422)
    problem(response, response.status_code, field)


def test_a_nul_in_a_provider_name_is_refused(
    client_of: Client, auth: Callable[..., dict[str, str]]
) -> None:
    client = client_of("commissioning")
    response = post(client, auth, "/providers", json={"name": "Hollies\x00", "kind": "voluntary"})
    problem(response, 422, "name")
    assert client.get("/providers", headers=auth("commissioner")).get_json()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"name": ' + b"9" * 5000 + b', "kind": "voluntary"}',
        b'{"name": "\\ud800", "kind": "voluntary"}',
        b'{"name": 1e400, "kind": "voluntary"}',
    ],
    ids=["5000-deep", "5000-digit integer", "lone surrogate", "1e400"],
)
def test_bodies_no_parser_should_take_are_refused(
    client_of: Client, auth: Callable[..., dict[str, str]], body: bytes
) -> None:
    response = post(
        client_of("commissioning"),
        auth,
        "/providers",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    found = problem(response, 400)
    if body.startswith(b"{"):  # a field is at fault, and is named
        assert found["errors"][0]["field"] == "name", found


def test_a_body_over_a_mebibyte_is_refused_unread(
    client_of: Client, auth: Callable[..., dict[str, str]]
) -> None:
    body = b'{"name": "' + b"x" * (20 * 1024 * 1024) + b'", "kind": "voluntary"}'
    response = post(
        client_of("commissioning"),
        auth,
        "/providers",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    problem(response, 413)


def test_huge_page_numbers_and_etags_are_refused(
    client_of: Client, auth: Callable[..., dict[str, str]]
) -> None:
    client = client_of("commissioning")
    problem(client.get(f"/providers?page={2**64}", headers=auth("commissioner")), 422, "page")
    headers = {**auth("commissioner"), "If-Match": '"v' + "9" * 5000 + '"'}
    response = client.patch(f"/providers/{PROVIDER_ID}", json={"name": "New"}, headers=headers)
    problem(response, 400, "If-Match")


def post_reading(
    client_of: Client, auth: Callable[..., dict[str, str]], changes: dict[str, Any]
) -> Any:
    """A provider posts the worked example's reading, changed."""
    return post(
        client_of("outcomes"),
        auth,
        "/observations",
        json={**OBSERVATION, **changes},
        role="provider",
        provider_id=PROVIDER_ID,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"child_ref": "rel-nl-1\n"}, "child_ref"),
        ({"value": 10**400}, "value"),
        ({"observed_on": "0001-01-01"}, "observed_on"),
        ({"evidence_ref": "ref\x00"}, "evidence_ref"),
    ],
)
def test_outcomes_refuses_each_bad_reading(
    client_of: Client,
    auth: Callable[..., dict[str, str]],
    changes: dict[str, Any],
    field: str,
) -> None:
    response = post_reading(client_of, auth, changes)
    assert response.status_code in (400, 422)
    problem(response, response.status_code, field)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"service_period_start": "0001-01-01", "service_period_end": "9999-12-31"}, "lines"),
        ({"amount": 0}, "lines"),
        ({"amount": -5_000}, "lines"),
        ({"amount": 2**63}, "lines"),
        ({"child_ref": "C1-ref\n"}, "lines"),
    ],
)
def test_ledger_refuses_lines_it_cannot_mean(
    client_of: Client, auth: Callable[..., dict[str, str]], line: dict[str, Any], field: str
) -> None:
    body = {**INVOICE, "lines": [{**INVOICE["lines"][0], **line}]}
    response = post(client_of("ledger"), auth, "/transactions", json=body, role="finance")
    assert response.status_code in (400, 422)
    problem(response, response.status_code, field)


def test_an_invoice_of_more_lines_than_one_event_can_carry_is_refused(
    client_of: Client, auth: Callable[..., dict[str, str]]
) -> None:
    body = {**INVOICE, "lines": INVOICE["lines"] * 20_000}
    response = post(client_of("ledger"), auth, "/transactions", json=body, role="finance")
    assert response.status_code in (413, 422)
    problem(response, response.status_code)


@pytest.mark.parametrize(
    "query",
    [
        "fy=0",
        "fy=10000",
        "fy=9999&quarter=4",
        "month=0000-01",
        "from=0001-01-01&to=0001-01-01",
        f"from={FIRST_DAY.replace(year=FIRST_DAY.year - 1)}&to={LAST_DAY}",
    ],
)
def test_value_reports_refuse_periods_outside_the_calendar(
    client_of: Client, auth: Callable[..., dict[str, str]], query: str
) -> None:
    response = client_of("value").get(f"/reports/cost-per-outcome?{query}", headers=auth("finance"))
    problem(response, 422)


def test_a_token_that_lives_a_century_is_refused(client_of: Client) -> None:
    now = int(time.time())
    claims = {
        "sub": "someone",
        "roles": ["commissioner"],
        "iss": TEST_JWT.issuer,
        "aud": TEST_JWT.audience,
        "iat": now,
        "exp": now + 100 * 365 * 24 * 3600,
    }
    token = jwt.encode(claims, TEST_JWT.secret or "", algorithm="HS256")
    response = client_of("commissioning").get(
        "/providers", headers={"Authorization": f"Bearer {token}"}
    )
    problem(response, 401)


@pytest.mark.parametrize(
    ("service", "path", "field"),
    [
        ("ledger", "/spend?fy=2024", "fy"),
        ("ledger", "/transactions?from=2024-04-01", "from"),
        ("commissioning", "/providers?sort=name", "sort"),
        ("outcomes", "/indicators?area=health", "area"),
    ],
)
def test_unknown_query_parameters_are_refused_by_name(
    client_of: Client, auth: Callable[..., dict[str, str]], service: str, path: str, field: str
) -> None:
    response = client_of(service).get(
        path, headers=auth("finance" if service == "ledger" else "commissioner")
    )
    problem(response, 422, field)


@pytest.mark.parametrize("child_ref", ["Jane-Smith", "JaneSmith", "c-2014-03-02", "ref_02-03-2014"])
def test_a_child_reference_that_looks_like_a_name_or_a_birthday_is_refused(
    client_of: Client, auth: Callable[..., dict[str, str]], child_ref: str
) -> None:
    response = post_reading(client_of, auth, {"child_ref": child_ref})
    found = problem(response, 422, "child_ref")
    assert "pseudonymous reference" in str(found["errors"])
    assert child_ref not in response.get_data(as_text=True)  # never echoed back
