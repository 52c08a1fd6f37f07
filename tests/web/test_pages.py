"""Page tests with a fake API client: what a person sees, for each role, without any service."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.web.adapters import api
from services.web.adapters.api import ApiError
from services.web.entrypoints.app import create_app
from services.web.settings import WebSettings
from tests.support.identity import TEST_JWT
from tests.web import fakes


@dataclass
class Current:
    """This test's fakes: one app serves the module (its templates compile once)."""

    calls: fakes.Calls
    value: fakes.FakeValue
    ledger: fakes.FakeLedger


@pytest.fixture(scope="module")
def current() -> Current:
    calls = fakes.Calls()
    return Current(calls, fakes.FakeValue(), fakes.FakeLedger(calls))


@pytest.fixture(scope="module")
def app(current: Current, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    settings = WebSettings(
        service_urls={},
        assets_dir=tmp_path_factory.mktemp("assets"),
        secret_key="k" * 40,
        api_timeout_seconds=1,
        log_level="WARNING",
        development_jwt=TEST_JWT,
    )
    return create_app(
        settings,
        backends_for=lambda token: fakes.fake_backends(
            current.calls, current.value, current.ledger
        ),
    )


@pytest.fixture
def calls(current: Current) -> fakes.Calls:
    current.calls = fakes.Calls()
    return current.calls


@pytest.fixture
def value(current: Current) -> fakes.FakeValue:
    current.value = fakes.FakeValue()
    return current.value


@pytest.fixture
def ledger(current: Current, calls: fakes.Calls) -> fakes.FakeLedger:
    current.ledger = fakes.FakeLedger(calls)
    return current.ledger


@pytest.fixture(autouse=True)
def fresh_fakes(calls: fakes.Calls, value: fakes.FakeValue, ledger: fakes.FakeLedger) -> None:
    """Every test starts with fakes that have seen no call."""


def _csrf(client: FlaskClient, path: str = "/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def signed_in(app: Flask, role: str, provider_id: str = "") -> FlaskClient:
    client = app.test_client()
    answer = client.post(
        "/sign-in",
        data={"csrf_token": _csrf(client), "role": role, "provider_id": provider_id, "next": "/"},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def text(answer: Any) -> str:
    return str(answer.get_data(as_text=True))


def test_pages_ask_a_stranger_to_sign_in(app: Flask) -> None:
    answer = app.test_client().get("/reports/cost-per-outcome?fy=2024")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/sign-in?next=/reports/cost-per-outcome")


def test_development_sign_in_is_marked_and_names_what_is_missing(app: Flask) -> None:
    client = app.test_client()
    page = text(client.get("/sign-in"))
    assert "Development sign-in" in page and "Ashdown Care Ltd" in page
    refused = client.post("/sign-in", data={"csrf_token": _csrf(client), "role": "provider"})
    assert refused.status_code == 400
    assert "govuk-error-summary" in text(refused)
    assert 'href="#provider_id"' in text(refused)


def test_a_form_without_the_sessions_csrf_token_is_refused(app: Flask) -> None:
    answer = app.test_client().post("/sign-in", data={"role": "finance"})
    assert answer.status_code == 400


def test_sign_in_never_follows_another_sites_address(app: Flask) -> None:
    client = app.test_client()
    answer = client.post(
        "/sign-in",
        data={"csrf_token": _csrf(client), "role": "finance", "next": "//elsewhere.example/"},
    )
    assert answer.headers["Location"] == "/"


def test_home_shows_the_years_headline_from_the_value_api(app: Flask) -> None:
    page = text(signed_in(app, "finance").get("/"))
    total = fakes.COST_PER_OUTCOME["total"]
    assert f'data-figure="cost_per_better_off">{total["cost_per_better_off"]}<' in page
    assert f'data-figure="spend">{total["spend"]}<' in page


def test_home_links_the_biggest_spends_to_the_rows_behind_them(app: Flask) -> None:
    page = text(signed_in(app, "finance").get("/"))
    linked = re.findall(r'href="/reports/cost-per-outcome/interventions/(int-\d)', page)
    assert linked == ["int-3", "int-1", "int-2"]


def test_the_year_a_page_opens_on_is_the_last_the_interventions_ran(
    app: Flask, value: fakes.FakeValue
) -> None:
    signed_in(app, "finance").get("/reports/cost-per-outcome")
    assert value.asked[-1][1]["fy"] == "2024"  # the fake intervention runs to 2025-03-31


def test_cost_per_outcome_sorts_by_a_column_and_keeps_suppressed_last(app: Flask) -> None:
    page = text(
        signed_in(app, "finance").get(
            "/reports/cost-per-outcome?sort=cost_per_better_off&order=desc"
        )
    )
    order = re.findall(r'<tr class="govuk-table__row" data-group="(int-\d)"', page)
    assert order == ["int-3", "int-1", "int-2"]
    assert 'aria-sort="descending"' in page


def test_a_row_links_to_the_rows_behind_it_with_the_reports_parameters(app: Flask) -> None:
    page = text(signed_in(app, "finance").get("/reports/cost-per-outcome?fy=2024&basis=paid"))
    assert "/reports/cost-per-outcome/interventions/int-1?fy=2024&amp;basis=paid" in page


def test_downloads_are_the_value_apis_files(app: Flask, value: fakes.FakeValue) -> None:
    answer = signed_in(app, "finance").get("/reports/cost-per-outcome.csv?fy=2024")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="cost-per-outcome.csv"'
    assert value.asked[-1] == (
        "cost-per-outcome",
        {
            "fy": "2024",
            "basis": "invoiced",
            "rule": "cost_share",
            "group_by": "intervention",
            "format": "csv",
        },
    )


def test_finance_sees_cost_lines_behind_a_row_but_not_observations(app: Flask) -> None:
    page = text(signed_in(app, "finance").get("/reports/cost-per-outcome/interventions/int-1"))
    assert 'id="cost-lines-table"' in page and "INV-1" in page
    assert 'id="observations-table"' not in page
    # the enrolment that ended before the period is not behind this year's row
    assert "int-1:e1" in page and "int-1:e2" not in page


def test_a_commissioner_sees_observations_behind_a_row_but_not_cost_lines(app: Flask) -> None:
    page = text(signed_in(app, "commissioner").get("/reports/cost-per-outcome/interventions/int-1"))
    assert 'id="observations-table"' in page
    assert 'id="cost-lines-table"' not in page


def test_a_provider_is_offered_only_its_own_pages(app: Flask) -> None:
    client = signed_in(app, "provider", provider_id="prv-1")
    assert client.get("/").headers["Location"] == "/provider/children"
    page = text(client.get("/provider/children"))
    assert "Cost per outcome" not in page and "Post a reading" in page
    assert client.get("/reports/cost-per-outcome").status_code == 403
    assert client.get("/interventions/new").status_code == 403


def test_finance_is_not_offered_the_commissioners_forms(app: Flask) -> None:
    client = signed_in(app, "finance")
    assert "Commission an intervention" not in text(client.get("/interventions"))
    assert "Amend the price" not in text(client.get("/interventions/int-1"))
    assert client.get("/interventions/new").status_code == 403


def _commission_form(client: FlaskClient, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": _csrf(client, "/interventions/new"),
        "idempotency_key": "k1",
        "provider_id": "prv-1",
        "title": "Mentoring",
        "category": "education_support",
        "pricing_model": "per_child_week",
        "unit_price_pounds": "£120.00",
        "capacity": "10",
        "budget_pounds": "60000",
        "start_date-day": "1",
        "start_date-month": "4",
        "start_date-year": "2025",
        "end_date-day": "31",
        "end_date-month": "3",
        "end_date-year": "2026",
        "target_indicators": "school_attendance",
    }
    return {**form, **overrides}


def test_commissioning_sends_the_api_what_was_typed(app: Flask, calls: fakes.Calls) -> None:
    client = signed_in(app, "commissioner")
    answer = client.post("/interventions/new", data=_commission_form(client))
    assert answer.headers["Location"] == "/interventions/int-new"
    name, body = calls.made[-1]
    assert name == "commission"
    # the form's pounds go to the API's pounds fields: "60000" is £60,000, never 60,000 pence
    assert (body["unit_price_pounds"], body["budget_pounds"]) == ("120.00", "60000")
    assert "unit_price_pence" not in body and body["capacity"] == 10
    assert body["start_date"] == "2025-04-01" and body["target_indicators"] == ["school_attendance"]


def test_a_date_that_is_not_real_is_named_in_the_error_summary(
    app: Flask, calls: fakes.Calls
) -> None:
    client = signed_in(app, "commissioner")
    answer = client.post(
        "/interventions/new",
        data=_commission_form(client, **{"end_date-day": "31", "end_date-month": "2"}),
    )
    page = text(answer)
    assert answer.status_code == 400 and calls.made == []
    assert 'href="#end_date-day"' in page and "must be a real date" in page
    assert "<title>Error: " in page


def test_the_apis_refusal_appears_beside_the_field(app: Flask, calls: fakes.Calls) -> None:
    calls.refuse_with = ApiError(
        422,
        "invalid",
        [{"field": "unit_price_pounds", "reason": "must have at most two decimal places"}],
    )
    client = signed_in(app, "commissioner")
    page = text(client.post("/interventions/new", data=_commission_form(client)))
    assert 'href="#unit_price_pounds"' in page
    assert "Unit price must have at most two decimal places" in page
    assert 'id="unit_price_pounds-error"' in page


def test_a_refusal_about_no_field_on_the_form_is_shown_whole(
    app: Flask, calls: fakes.Calls
) -> None:
    calls.refuse_with = ApiError(
        409,
        "children can only be enrolled on an active intervention",
        [{"field": "status", "reason": "draft"}],
    )
    client = signed_in(app, "commissioner")
    form = {
        "csrf_token": _csrf(client, "/interventions/int-1/enrol"),
        "idempotency_key": "k2",
        "child_ref": "CH-9",
        "start_date-day": "1",
        "start_date-month": "5",
        "start_date-year": "2024",
    }
    page = text(client.post("/interventions/int-1/enrol", data=form))
    assert "children can only be enrolled on an active intervention" in page


def test_ending_an_enrolment_names_the_version_read(app: Flask, calls: fakes.Calls) -> None:
    client = signed_in(app, "commissioner")
    form = {
        "csrf_token": _csrf(client, "/enrolments/int-1:e1/end"),
        "idempotency_key": "k3",
        "etag": '"v1"',
        "reason": "moved away",
        "end_date-day": "30",
        "end_date-month": "9",
        "end_date-year": "2024",
    }
    client.post("/enrolments/int-1:e1/end", data=form)
    assert calls.made[-1] == (
        "end_enrolment",
        ({"end_date": "2024-09-30", "reason": "moved away"}, '"v1"'),
    )


def test_a_provider_posts_a_reading_as_a_number(app: Flask, calls: fakes.Calls) -> None:
    client = signed_in(app, "provider", provider_id="prv-1")
    form = {
        "csrf_token": _csrf(client, "/provider/readings/new"),
        "idempotency_key": "k4",
        "child_ref": "CH-1",
        "indicator_code": "school_attendance",
        "value": "92.5",
        "observed_on-day": "3",
        "observed_on-month": "2",
        "observed_on-year": "2025",
    }
    answer = client.post("/provider/readings/new", data=form)
    assert answer.headers["Location"] == "/provider/children/CH-1"
    assert calls.made[-1][1]["value"] == 92.5 and calls.made[-1][1]["intervention_id"] is None
    refused = client.post("/provider/readings/new", data={**form, "value": "ninety"})
    assert refused.status_code == 400 and "must be a number" in text(refused)


def test_an_expired_token_asks_to_sign_in_again(app: Flask, value: fakes.FakeValue) -> None:
    client = signed_in(app, "finance")

    def expired(name: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ApiError(401, "invalid token: Signature has expired")

    value.report = expired  # type: ignore[method-assign]
    answer = client.get("/reports/report-cards")
    assert answer.status_code == 401 and "Sign in again" in text(answer)
    assert client.get("/").status_code == 302  # the session was cleared


CURVE = {
    "indicator": "school_attendance",
    "indicator_name": "School attendance",
    "direction": "higher_is_better",
    "period": {"from": "2024-04-01", "to": "2025-03-31"},
    "months": [
        {"month": "2024-04", "actual": "88.50", "forecast": None, "children": 6, "spend_pence": 10}
    ],
}


def test_the_curve_shows_the_latest_story_and_lets_finance_save_another(
    app: Flask, value: fakes.FakeValue, calls: fakes.Calls
) -> None:
    value.reports["turn-the-curve"] = CURVE
    client = signed_in(app, "finance")
    page = text(client.get("/reports/turn-the-curve?fy=2024&cohort=high"))
    assert 'id="latest-story"' in page and "Mentoring began in October." in page
    assert "Earlier versions (1)" in page and 'action="/reports/turn-the-curve/story"' in page
    assert value.asked[-1][1]["cohort"] == "high"
    form = {"csrf_token": _csrf(client, "/reports/turn-the-curve"), "idempotency_key": "k5",
            "indicator": "school_attendance", "cohort": "high", "fy": "2024",
            "text": "Referrals doubled."}  # fmt: skip
    answer = client.post("/reports/turn-the-curve/story", data=form)
    assert calls.made[-1] == (
        "save_story",
        ("school_attendance", {"text": "Referrals doubled.", "cohort": "high"}),
    )
    assert answer.headers["Location"].startswith("/reports/turn-the-curve?")
    assert "cohort=high" in answer.headers["Location"]


def test_an_auditor_reads_the_story_but_is_not_offered_the_form(
    app: Flask, value: fakes.FakeValue
) -> None:
    value.reports["turn-the-curve"] = CURVE
    client = signed_in(app, "auditor")
    page = text(client.get("/reports/turn-the-curve"))
    assert "Mentoring began in October." in page and "Save the story" not in page
    assert (
        client.post("/reports/turn-the-curve/story", data={"csrf_token": _csrf(client)}).status_code
        == 403
    )


def test_a_failing_service_shows_the_govuk_problem_page(app: Flask, value: fakes.FakeValue) -> None:
    def down(name: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ApiError(503, "the service did not answer (ConnectionError)")

    value.report = down  # type: ignore[method-assign]
    answer = signed_in(app, "finance").get("/reports/reconciliation")
    assert answer.status_code == 502
    assert "Sorry, there is a problem with the service" in text(answer)
    assert "ConnectionError" not in text(answer)


@pytest.mark.parametrize(
    ("fake", "real"),
    [
        (fakes.FakeCommissioning, api.CommissioningClient),
        (fakes.FakeOutcomes, api.OutcomesClient),
        (fakes.FakeLedger, api.LedgerClient),
        (fakes.FakeValue, api.ValueClient),
    ],
)
def test_the_fakes_answer_to_the_real_clients_methods(fake: type, real: type) -> None:
    def methods(cls: type) -> set[str]:
        return {
            name for name in vars(cls) if not name.startswith("_") and callable(vars(cls)[name])
        }

    assert methods(real) <= methods(fake)


def test_a_report_with_nothing_recorded_on_its_basis_warns_before_its_table(
    app: Flask, value: fakes.FakeValue, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = text(signed_in(app, "finance").get("/reports/cost-per-outcome?fy=2024"))
    assert 'class="govuk-warning-text"' not in recorded

    notice = "No spend is recorded on the accrued basis for this period: choose another basis."
    empty = {**fakes.COST_PER_OUTCOME, "basis": "accrued", "notice": notice}
    monkeypatch.setitem(value.reports, "cost-per-outcome", empty)
    page = text(signed_in(app, "finance").get("/reports/cost-per-outcome?fy=2024&basis=accrued"))
    warning = page.index('class="govuk-warning-text"')
    assert notice in page[warning:] and warning < page.index('id="cost-per-outcome"')
