"""Finance's pages (forecast, exceptions, month close), a provider's spreadsheet upload, the
narrow-the-gap chart and the drill-down from rows grouped by provider: with the fake APIs."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

from flask import Flask

from tests.web import fakes
from tests.web.test_pages import _csrf, signed_in, text

pytest_plugins = ["tests.web.test_pages"]  # the app and fakes fixtures


def test_home_shows_the_forecast_outturn_against_budget(
    app: Flask, ledger: fakes.FakeLedger
) -> None:
    page = text(signed_in(app, "finance").get("/?fy=2024"))
    assert 'id="forecast-outturn"' in page
    assert 'data-figure="forecast">£55,000.00<' in page
    assert 'data-figure="budget">£50,000.00<' in page
    assert 'data-figure="variance">£5,000.00 over<' in page and "(10.0%)" in page
    assert ledger.asked[-1] == (
        "/forecast", {"fy": "2024", "group_by": "category", "basis": "invoiced"}
    )  # fmt: skip
    assert "/finance/forecast?fy=2024&amp;basis=invoiced" in page


def test_home_keeps_its_headline_when_the_ledger_does_not_answer(
    app: Flask, ledger: fakes.FakeLedger
) -> None:
    ledger.unavailable = True
    answer = signed_in(app, "finance").get("/")
    assert answer.status_code == 200
    page = text(answer)
    assert "forecast outturn is not available just now" in page
    assert 'data-figure="cost_per_better_off">' in page


def test_the_forecast_names_its_groups_and_sends_growth_in_basis_points(
    app: Flask, ledger: fakes.FakeLedger
) -> None:
    page = text(
        signed_in(app, "finance").get(
            "/finance/forecast?fy=2024&group_by=intervention&growth_percent=2.5"
        )
    )
    row = re.search(r'<tr class="govuk-table__row" data-group="int-1">(.*?)</tr>', page, re.S)
    assert row and "Intensive family support" in row.group(1)
    assert 'data-column="forecast">£55,000.00<' in row.group(1)
    assert ledger.asked[0] == (
        "/forecast",
        {"fy": "2024", "group_by": "intervention", "basis": "accrued",
         "open_ended_to": "year_end", "demand_growth_bp": "250"},
    )  # fmt: skip
    assert "Save this forecast" in page


def test_a_growth_that_is_not_a_percentage_is_named_and_nothing_is_asked(
    app: Flask, ledger: fakes.FakeLedger
) -> None:
    answer = signed_in(app, "finance").get("/finance/forecast?growth_percent=lots")
    assert answer.status_code == 400
    assert 'href="#growth_percent"' in text(answer) and ledger.asked == []


def test_finance_saves_a_forecast_with_its_parameters(app: Flask, calls: fakes.Calls) -> None:
    client = signed_in(app, "finance")
    form = {"csrf_token": _csrf(client, "/finance/forecast"), "idempotency_key": "k9",
            "fy": "2024", "group_by": "provider", "basis": "invoiced",
            "open_ended_to": "year_end", "growth_percent": "1"}  # fmt: skip
    answer = client.post("/finance/forecast/save", data=form)
    assert answer.headers["Location"].startswith("/finance/forecast?")
    assert calls.made[-1] == (
        "save_forecast",
        {"fy": 2024, "basis": "invoiced", "open_ended_to": "year_end", "demand_growth_bp": 100},
    )


def test_a_commissioner_reads_the_forecast_but_may_not_save_one(app: Flask) -> None:
    client = signed_in(app, "commissioner")
    assert "Save this forecast" not in text(client.get("/finance/forecast"))
    saving = client.post("/finance/forecast/save", data={"csrf_token": _csrf(client)})
    assert saving.status_code == 403


def test_finance_sees_every_exception_list(app: Flask, ledger: fakes.FakeLedger) -> None:
    page = text(signed_in(app, "finance").get("/finance/exceptions?threshold=9,500&fy=2024"))
    for table in ("high-cost", "above-ceiling", "paid-after-end", "run-out"):
        assert f'id="{table}-table"' in page
    assert "2 more in categories with fewer than 5 children are withheld" in page
    assert "INV-9" in page and "2025-02" in page
    asked = dict(ledger.asked)
    # the year is over: its last day is the day looked at
    assert asked["/exceptions/high-cost"] == {"threshold_pence": "950000", "on": "2025-03-31"}
    assert asked["/exceptions/above-ceiling"] == {"on": "2025-03-31"}
    assert asked["/exceptions/budget-run-out"] == {"fy": "2024"}


def test_a_commissioner_sees_only_the_exceptions_without_children(
    app: Flask, ledger: fakes.FakeLedger
) -> None:
    page = text(signed_in(app, "commissioner").get("/finance/exceptions"))
    assert 'id="above-ceiling-table"' in page and 'id="run-out-table"' in page
    assert 'id="high-cost-table"' not in page and 'id="paid-after-end-table"' not in page
    assert {path for path, _ in ledger.asked} == {
        "/exceptions/above-ceiling",
        "/exceptions/budget-run-out",
    }


def test_a_weekly_cost_that_is_not_money_is_named(app: Flask) -> None:
    answer = signed_in(app, "finance").get("/finance/exceptions?threshold=ten")
    assert answer.status_code == 400 and 'href="#threshold"' in text(answer)


def test_a_year_that_is_not_a_year_is_a_clear_refusal_not_a_failure(app: Flask) -> None:
    client = signed_in(app, "finance")
    assert client.get("/finance/exceptions?fy=next").status_code == 400
    assert client.get("/finance/exceptions?fy=99999").status_code == 200  # the ledger's to judge
    form = {"csrf_token": _csrf(client, "/finance/forecast"), "idempotency_key": "k6", "fy": "x"}
    assert client.post("/finance/forecast/save", data=form).status_code == 400


def test_closing_a_month_asks_to_confirm_then_closes_it(app: Flask, calls: fakes.Calls) -> None:
    client = signed_in(app, "finance")
    months = text(client.get("/finance/months"))
    assert "2025-08" in months and "August reported to members" in months
    confirm = text(client.get("/finance/months/close?month=2025-09"))
    assert "Close 2025-09?" in confirm and calls.made == []
    form = {"csrf_token": _csrf(client, "/finance/months"), "idempotency_key": "k7",
            "month": "2025-09", "reason": "September reported"}  # fmt: skip
    answer = client.post("/finance/months/close", data=form)
    assert answer.headers["Location"] == "/finance/months"
    assert calls.made[-1] == ("act_on_month", ("2025-09", "close", "September reported"))


def test_a_month_that_is_not_a_month_is_named(app: Flask) -> None:
    answer = signed_in(app, "finance").get("/finance/months/close?month=September")
    assert answer.status_code == 400 and 'href="#month"' in text(answer)


def test_an_auditor_reads_the_months_but_cannot_close_one(app: Flask) -> None:
    client = signed_in(app, "auditor")
    page = text(client.get("/finance/months"))
    assert "2025-08" in page and "Close a month" not in page and "Reopen" not in page
    assert client.get("/finance/months/close?month=2025-09").status_code == 403
    assert signed_in(app, "commissioner").get("/finance/months").status_code == 403


def _upload(app: Flask, body: bytes, filename: str) -> Any:
    client = signed_in(app, "provider", provider_id="prv-1")
    form: dict[str, Any] = {
        "csrf_token": _csrf(client, "/provider/readings/upload"),
        "idempotency_key": "k8",
        "sheet": (io.BytesIO(body), filename),
    }
    return client.post("/provider/readings/upload", data=form)


def test_a_provider_uploads_a_sheet_and_gets_each_rows_result(
    app: Flask, calls: fakes.Calls
) -> None:
    page = text(_upload(app, b"child_ref,indicator_code\n", "readings.xlsx"))
    assert calls.made[-1] == (
        "upload",
        (b"child_ref,indicator_code\n", fakes.SPREADSHEET_TYPES["xlsx"]),
    )
    assert 'data-line="3" data-status="invalid"' in page and "must be a number" in page
    found = re.search(r'href="data:text/csv;base64,([^"]+)" download="refused-rows.csv"', page)
    assert found
    assert base64.b64decode(found.group(1)).decode() == fakes.UPLOADED["refused_rows_csv"]


def test_an_upload_that_is_not_a_spreadsheet_is_refused_before_the_api(
    app: Flask, calls: fakes.Calls
) -> None:
    answer = _upload(app, b"%PDF", "readings.pdf")
    assert answer.status_code == 400 and 'href="#sheet"' in text(answer) and calls.made == []


def test_the_template_is_the_outcomes_apis_file(app: Flask) -> None:
    client = signed_in(app, "provider", provider_id="prv-1")
    answer = client.get("/provider/readings/template.xlsx")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="template.xlsx"'
    assert client.get("/provider/readings/template.pdf").status_code == 404


GAP = {
    "indicator": "school_attendance",
    "cohorts": ["complex", "low"],
    "period": {"from": "2024-04-01", "to": "2025-03-31"},
    "months": [
        {"month": "2024-04", "complex": "71.50", "low": "93.00", "gap": "21.50"},
        {"month": "2024-05", "complex": "suppressed", "low": "92.00", "gap": "suppressed"},
    ],
    "gap_closing": True,
}


def test_narrow_the_gap_compares_the_highest_need_with_the_lowest_by_default(
    app: Flask, value: fakes.FakeValue
) -> None:
    value.reports["narrow-the-gap"] = GAP
    page = text(signed_in(app, "commissioner").get("/reports/narrow-the-gap?fy=2024"))
    name, params = value.asked[-1]
    assert name == "narrow-the-gap" and (params["first"], params["second"]) == ("complex", "low")
    assert 'id="gap-table"' in page and "71.50" in page and "The gap is closing" in page
    figures = re.search(r'<script type="application/json" id="gap-data">(.*?)</script>', page)
    assert figures and '"data": [71.5, null]' in figures.group(1)


def _by_provider(name: str, params: dict[str, Any]) -> dict[str, Any]:
    if params["group_by"] == "provider":
        return {**fakes.COST_PER_OUTCOME, "group_by": "provider",
                "rows": [{**fakes.COST_PER_OUTCOME["rows"][0], "group": "prv-1",
                          "label": "Ashdown Care Ltd"},
                         {**fakes.COST_PER_OUTCOME["rows"][1], "group": "(no intervention)",
                          "label": "(no intervention)"}]}  # fmt: skip
    return fakes.COST_PER_OUTCOME


def test_a_row_grouped_by_provider_leads_to_its_interventions(
    app: Flask, value: fakes.FakeValue
) -> None:
    value.report = _by_provider  # type: ignore[method-assign]
    client = signed_in(app, "finance")
    table = text(client.get("/reports/cost-per-outcome?fy=2024&group_by=provider"))
    assert "/reports/cost-per-outcome/groups/provider/prv-1?fy=2024" in table
    assert "/groups/provider/(no" not in table  # the method's catch-alls lead nowhere
    page = text(client.get("/reports/cost-per-outcome/groups/provider/prv-1?fy=2024"))
    # the fake's one intervention belongs to prv-1: its row, linked to the rows behind it
    assert re.findall(r'data-group="(int-\d)"', page) == ["int-1"]
    assert "/reports/cost-per-outcome/interventions/int-1?fy=2024" in page


def test_rows_grouped_by_need_level_are_not_linked(app: Flask, value: fakes.FakeValue) -> None:
    value.reports["cost-per-outcome"] = {**fakes.COST_PER_OUTCOME, "group_by": "need_level"}
    page = text(signed_in(app, "finance").get("/reports/cost-per-outcome?group_by=need_level"))
    assert "/reports/cost-per-outcome/groups/" not in page and "groups of children" in page
