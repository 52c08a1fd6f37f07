"""Finance's month end on the real stack: commissioning events through Kafka to the ledger's
consumer, invoices and month closes through the ledger's API, reports from the real database.

The small council (financial year 2025-26, actual to 30 September on the invoiced basis):

| intervention | pricing | budget | what happens |
| --- | --- | --- | --- |
| iv-fost | £700 a week, £770 from 1 Jan 2026 | £50,000 | C-A from 1 Apr, open; C-B 1 Jun-30 Nov |
| iv-block | block £3,000 a month | £36,000 | untagged monthly invoices |
| iv-susp | £50 a day | £20,000 | C-C from 1 Apr, open; suspended from 15 Sep |

(The fostering price was amended in advance; £700 a week is £100 a day.)

Computed by hand (pence):

- iv-fost actual: C-A 1 Apr-30 Sep 183 days x 10,000 = 1,830,000; C-B 1 Jun-30 Sep 122 days x
  10,000 = 1,220,000; total 3,050,000. Committed: C-A 1 Oct-31 Dec 92 days x 10,000 = 920,000 and
  1 Jan-31 Mar 90 days x 11,000 = 990,000; C-B 1 Oct-30 Nov 61 days x 10,000 = 610,000; total
  2,520,000. Forecast 5,570,000; variance +570,000 = +11.4%. Cumulative forecast passes
  5,000,000 in February 2026 (end of January 4,921,000; February adds 28 x 11,000).
- iv-block actual 6 x 300,000 = 1,800,000 (the October invoice is after `actuals_to`); committed
  October-March 6 x 300,000 = 1,800,000; forecast 3,600,000 = budget: variance 0, "0.0".
- iv-susp actual 1 Apr-14 Sep 167 days x 5,000 = 835,000; committed 0 (suspended: paused);
  variance -1,165,000 = -58.25%, "-58.2" (half to even).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from kafka import KafkaProducer
from openpyxl import load_workbook

from services.ledger import cli as ledger_cli
from services.ledger.domain.terms import EnrolmentTerms, InterventionTerms
from shared.consumer import ConsumerRunner
from shared.events.catalogue import commissioning
from shared.events.envelope import Envelope
from shared.money import pence_to_decimal
from tests.ledger.builders import (
    enrolment,
    enrolment_event,
    intervention,
    intervention_payload,
    provider_event,
)
from tests.ledger.conftest import LedgerStack, problem_fields, publish
from tests.support.bus import wait_until
from tests.support.exports import csv_tables
from tests.support.openapi import documented_errors

pytestmark = pytest.mark.integration
Auth = Callable[..., dict[str, str]]
APR = date(2025, 4, 1)
YEAR_END = date(2026, 3, 31)
FORECAST = {"fy": 2025, "basis": "invoiced", "actuals_to": "2025-09-30"}

FOSTERING = intervention(
    "iv-fost",
    category="in_house_fostering",
    prices=((APR, 70_000), (date(2026, 1, 1), 77_000)),
    start=APR,
    end=YEAR_END,
    budget_pence=5_000_000,
    version=3,
)
BLOCK = intervention(
    "iv-block",
    provider_id="prov-2",
    category="early_help",
    pricing_model="block_per_month",
    prices=((APR, 300_000),),
    start=APR,
    end=YEAR_END,
    budget_pence=3_600_000,
    version=2,
)
SUSPENDED = intervention(
    "iv-susp",
    pricing_model="per_child_day",
    prices=((APR, 5_000),),
    start=APR,
    end=YEAR_END,
    budget_pence=2_000_000,
    version=3,
)
CHILDREN = (
    enrolment("en-a", intervention_id="iv-fost", child_ref="C-A", start=APR),
    enrolment(
        "en-b", intervention_id="iv-fost", child_ref="C-B", start=date(2025, 6, 1),
        end=date(2025, 11, 30), version=2,
    ),
    enrolment("en-c", intervention_id="iv-susp", child_ref="C-C", start=APR),
)  # fmt: skip


def event(terms: InterventionTerms, type_: str, status: str, effective: date) -> Envelope:
    return Envelope(
        type=type_,
        source="acorn/commissioning",
        subject=terms.intervention_id,
        data={
            "intervention": intervention_payload(terms, status),
            "effective_date": effective.isoformat(),
            **(
                {"unit_price_pence": terms.prices[-1].unit_price_pence}
                if "amended" in type_
                else {}
            ),
        },
        correlationid="corr-finance",
    )


def history(terms: InterventionTerms, *later: tuple[str, str, date]) -> list[Envelope]:
    """Commissioned (draft, first price), activated, then `later` events on the final terms."""
    first = InterventionTerms(**{**terms.__dict__, "prices": terms.prices[:1], "version": 1})
    active = InterventionTerms(**{**first.__dict__, "version": 2})
    events = [
        event(first, commissioning.INTERVENTION_COMMISSIONED, "draft", terms.start_date),
        event(active, commissioning.INTERVENTION_ACTIVATED, "active", terms.start_date),
    ]
    return events + [event(terms, type_, status, day) for type_, status, day in later]


def invoice(
    number: str, intervention_id: str, child: str | None, start: str, end: str, pence: int
) -> dict[str, Any]:
    return {
        "kind": "invoice",
        "intervention_id": intervention_id,
        "invoice_number": number,
        "description": f"invoice {number}",
        "lines": [
            {
                "child_ref": child,
                "service_period_start": start,
                "service_period_end": end,
                "amount": pence,
            }
        ],
    }


@pytest.fixture
def council(
    stack: LedgerStack, consumer: ConsumerRunner, producer: KafkaProducer, auth: Auth
) -> LedgerStack:
    providers = [
        provider_event("prov-1", "Oak Fostering"),
        provider_event("prov-2", "Ash Family Hubs"),
    ]
    events = (
        providers
        + history(FOSTERING, (commissioning.INTERVENTION_AMENDED, "active", date(2026, 1, 1)))
        + history(BLOCK)
        + history(SUSPENDED, (commissioning.INTERVENTION_SUSPENDED, "suspended", date(2025, 9, 15)))
    )
    enrolled = [
        enrolment_event(EnrolmentTerms(**{**c.__dict__, "end_date": None, "version": 1}))
        for c in CHILDREN
    ] + [enrolment_event(CHILDREN[1])]
    publish(producer, stack, *events, *enrolled)
    wait_until(
        lambda: consumer.stats.handled == len(events) + len(enrolled),
        what="the commissioning events",
    )
    for body in (
        invoice("F-1", "iv-fost", "C-A", "2025-04-01", "2025-09-30", 1_830_000),
        invoice("F-2", "iv-fost", "C-B", "2025-06-01", "2025-09-30", 1_220_000),
        invoice("B-1", "iv-block", None, "2025-04-01", "2025-09-30", 1_800_000),
        invoice("B-2", "iv-block", None, "2025-10-01", "2025-10-31", 300_000),
        invoice("S-1", "iv-susp", "C-C", "2025-04-01", "2025-09-14", 835_000),
    ):
        posted = stack.client.post("/transactions", json=body, headers=auth("finance"))
        assert posted.status_code == 201, posted.get_json()
    return stack


def forecast(stack: LedgerStack, auth: Auth, **params: Any) -> dict[str, Any]:
    response = stack.client.get(
        "/forecast", query_string={**FORECAST, **params}, headers=auth("finance")
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in report["rows"]}


def test_the_forecast_equals_the_hand_computed_one_to_the_penny(
    council: LedgerStack, auth: Auth
) -> None:
    report = forecast(council, auth)
    assert report["assumptions"] == {
        "financial_year": "2025-26",
        "year_start": "2025-04-01",
        "year_end": "2026-03-31",
        "basis": "invoiced",
        "actuals_to": "2025-09-30",
        "open_ended_to": "year_end",
        "demand_growth_bp": 0,
        "suspended": "paused",
    }
    assert report["generated_at"] and report["as_at"]
    figures = {
        key: (r["budget_pence"], r["actual_pence"], r["committed_pence"], r["forecast_pence"])
        for key, r in rows(report).items()
    }
    assert figures == {
        "iv-block": (3_600_000, 1_800_000, 1_800_000, 3_600_000),
        "iv-fost": (5_000_000, 3_050_000, 2_520_000, 5_570_000),
        "iv-susp": (2_000_000, 835_000, 0, 835_000),
    }
    assert [(r["variance_pence"], r["variance_percent"]) for r in report["rows"]] == [
        (0, "0.0"),
        (570_000, "11.4"),
        (-1_165_000, "-58.2"),
    ]
    assert report["total"]["forecast_pence"] == 10_005_000
    assert report["total"]["variance_pence"] == -595_000

    by_provider = rows(forecast(council, auth, group_by="provider"))
    assert by_provider["prov-1"]["forecast_pence"] == 5_570_000 + 835_000
    # a placement ending at the intervention's end instead changes nothing here (it ends with
    # the year); with 2.5% more demand the committed cost grows by 2.5%, rounded once
    grown = rows(forecast(council, auth, demand_growth_bp=250))
    assert grown["iv-fost"]["growth_pence"] == 63_000
    assert grown["iv-fost"]["forecast_pence"] == 5_633_000
    running = rows(forecast(council, auth, suspended="running"))
    assert running["iv-susp"]["committed_pence"] == 182 * 5_000  # 1 Oct - 31 Mar

    for fmt, start in (("csv", b"Report,Forecast outturn\n"), ("xlsx", b"PK")):
        download = council.client.get(
            "/forecast",
            query_string={**FORECAST, "format": fmt, "as_at": report["as_at"]},
            headers=auth("finance"),
        )
        assert download.status_code == 200
        assert download.get_data().startswith(start)
        assert download.headers["Acorn-As-At"] == report["as_at"]
        assert download.headers["Acorn-Generated-At"] > report["generated_at"]
    csv_text = council.client.get(
        "/forecast", query_string={**FORECAST, "format": "csv"}, headers=auth("finance")
    ).get_data(as_text=True)
    assert "iv-fost,Intervention iv-fost,50000.00,30500.00,25200.00,0.00,55700.00,5700.00,11.4" in (
        csv_text
    )


def test_the_forecast_workbook_adds_up_and_names_what_it_shows(
    council: LedgerStack, auth: Auth
) -> None:
    report = forecast(council, auth, group_by="provider")
    download = council.client.get(
        "/forecast",
        query_string={
            **FORECAST,
            "group_by": "provider",
            "format": "xlsx",
            "as_at": report["as_at"],
        },
        headers=auth("finance"),
    )
    stamp = report["as_at"][:19].replace(":", "")
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="forecast-outturn_2025-26_invoiced_by-provider_actuals-to-2025-09-30_'
        f'open-ended-to-year-end_growth-0bp_suspended-paused_as-at-{stamp}.xlsx"'
    )
    book = load_workbook(io.BytesIO(download.get_data()))
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Report"] == "Forecast outturn" and about["As at"] == report["as_at"]
    assert about["Grouping"] == "by provider" and about["Actuals to"] == "2025-09-30"
    sheet = book["Forecast outturn"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I3"
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    headings, body, total = table[0], table[1:3], table[-1]
    assert [r[:2] for r in body] == [["prov-1", "Oak Fostering"], ["prov-2", "Ash Family Hubs"]]
    assert total[0] == "Total"
    for heading, key in (
        ("Budget (£)", "budget_pence"),
        ("Actual to date (£)", "actual_pence"),
        ("Committed to the year end (£)", "committed_pence"),
        ("Forecast outturn (£)", "forecast_pence"),
        ("Variance against budget (£)", "variance_pence"),
    ):
        at = headings.index(heading)
        column = sum(Decimal(str(r[at])) for r in body)
        assert column == Decimal(str(total[at])) == pence_to_decimal(report["total"][key])
    assert "Variance against budget (%) (per row, do not sum)" in headings


def test_a_saved_forecast_is_compared_with_later_ones(council: LedgerStack, auth: Auth) -> None:
    assert forecast(council, auth)["compared_with"] is None
    saved = council.client.post("/saved-forecasts", json=FORECAST, headers=auth("finance"))
    assert saved.status_code == 201
    saved_id = saved.get_json()["forecast_id"]
    assert saved.get_json()["saved_by"] and saved.get_json()["parameters"]["actuals_to"] == (
        "2025-09-30"
    )
    late = invoice("B-late", "iv-block", None, "2025-09-01", "2025-09-30", 50_000)
    assert (
        council.client.post("/transactions", json=late, headers=auth("finance")).status_code == 201
    )

    report = forecast(council, auth)
    assert report["compared_with"]["forecast_id"] == saved_id
    movement = {
        k: (r["previous_forecast_pence"], r["movement_pence"]) for k, r in rows(report).items()
    }
    assert movement == {
        "iv-block": (3_600_000, 50_000),
        "iv-fost": (5_570_000, 0),
        "iv-susp": (835_000, 0),
    }
    assert report["total"]["movement_pence"] == 50_000
    listed = council.client.get(
        "/saved-forecasts", query_string={"fy": 2025}, headers=auth("auditor")
    )
    assert [s["forecast_id"] for s in listed.get_json()["saved"]] == [saved_id]
    unknown = council.client.get(
        "/forecast", query_string={**FORECAST, "compare_with": "nope"}, headers=auth("finance")
    )
    assert unknown.status_code == 404 and problem_fields(unknown) == {"compare_with"}


def exceptions(stack: LedgerStack, auth: Auth, name: str, **params: Any) -> dict[str, Any]:
    response = stack.client.get(f"/exceptions/{name}", query_string=params, headers=auth("finance"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_each_exception_list_shows_what_it_should_and_not_what_it_should_not(
    council: LedgerStack, auth: Auth
) -> None:
    # high cost: at £700 a week and over, on 1 October: C-A and C-B, not C-C (£350 a week)
    found = exceptions(council, auth, "high-cost", on="2025-10-01", threshold_pence=70_000,
                       unsuppressed="true")  # fmt: skip
    assert [
        (r["child_ref"], r["weekly_cost_pence"], r["cost_to_year_end_pence"]) for r in found["rows"]
    ] == [
        ("C-A", 70_000, 1_910_000),
        ("C-B", 70_000, 610_000),
    ]
    assert exceptions(council, auth, "high-cost", on="2025-10-01")["rows"] == []  # £10,000
    suppressed = exceptions(council, auth, "high-cost", on="2025-10-01", threshold_pence=70_000)
    assert suppressed["rows"] == [] and suppressed["withheld_rows"] == 2
    assert suppressed["by_category"] == [
        {"category": "in_house_fostering", "children": "suppressed"}
    ]
    commissioner = council.client.get(
        "/exceptions/high-cost", query_string={"unsuppressed": "true"}, headers=auth("commissioner")
    )
    assert commissioner.status_code == 403

    # above the framework ceiling: fostering's January price £770 over a £750 ceiling; the
    # block contract's £3,000 under its £4,000 one
    for path, price in (
        ("in_house_fostering/per_child_week", "750.00"),
        ("early_help/block_per_month", 400_000),
    ):
        put = council.client.put(
            f"/framework-ceilings/{path}", json={"unit_price": price}, headers=auth("finance")
        )
        assert put.status_code == 200, put.get_json()
    bad = council.client.put(
        "/framework-ceilings/knitting/per_child_week",
        json={"unit_price": 1},
        headers=auth("finance"),
    )
    assert bad.status_code == 422 and problem_fields(bad) == {"category"}
    above = exceptions(council, auth, "above-ceiling", on="2025-10-01")["rows"]
    assert [
        (r["intervention_id"], r["unit_price_pence"], r["effective_from"], r["excess_pence"])
        for r in above
    ] == [("iv-fost", 77_000, "2026-01-01", 2_000)]

    # paying for what ended: C-B left on 30 November; an invoice to 15 December pays 15 days
    # too many, one to 30 November none; September's accrual of the suspended intervention
    # runs 15-30 September (16 days at £50), the fostering one's is not suspended
    for body in (
        invoice("F-late", "iv-fost", "C-B", "2025-11-16", "2025-12-15", 300_000),
        invoice("F-ok", "iv-fost", "C-B", "2025-10-01", "2025-11-30", 610_000),
    ):
        assert (
            council.client.post("/transactions", json=body, headers=auth("finance")).status_code
            == 201
        )
    run = {"period_start": "2025-09-01", "period_end": "2025-09-30"}
    assert (
        council.client.post("/accrual-runs", json=run, headers=auth("finance")).status_code == 201
    )
    ended = exceptions(council, auth, "paid-after-end")
    assert [
        (
            r["invoice_number"],
            r["child_ref"],
            r["ended_on"],
            r["what_ended"],
            r["cost_after_end_pence"],
        )
        for r in ended["invoiced_after_end"]
    ] == [("F-late", "C-B", "2025-11-30", "enrolment", 150_000)]
    assert [
        (r["intervention_id"], r["suspended_from"], r["suspended_to"], r["accrued_pence"])
        for r in ended["accrued_while_suspended"]
    ] == [("iv-susp", "2025-09-15", "2026-03-31", 80_000)]

    # budgets that run out: fostering's in February; the block contract meets its budget exactly
    run_out = exceptions(council, auth, "budget-run-out", **FORECAST)["rows"]
    assert [(r["intervention_id"], r["run_out_month"], r["overspend_pence"]) for r in run_out] == [
        ("iv-fost", "2026-02", 570_000)
    ]

    # the downloads: names beside ids, one sheet per list, each money column adding up
    download = council.client.get(
        "/exceptions/paid-after-end", query_string={"format": "xlsx"}, headers=auth("finance")
    )
    book = load_workbook(io.BytesIO(download.get_data()))
    assert book.sheetnames == ["About", "Invoiced after the end", "Accrued while suspended"]
    invoiced = [list(r) for r in book["Invoiced after the end"].iter_rows(values_only=True)]
    assert invoiced[1][2:6] == ["iv-fost", "Intervention iv-fost", "prov-1", "Oak Fostering"]
    assert invoiced[-1][0] == "Total" and Decimal(str(invoiced[-1][-1])) == Decimal("1500.00")
    high_cost = council.client.get(
        "/exceptions/high-cost",
        query_string={"on": "2025-10-01", "threshold_pence": 70_000, "format": "csv"},
        headers=auth("finance"),
    ).get_data(as_text=True)
    about, tables = csv_tables(high_cost)
    assert "2 rows withheld" in about["Suppression"]
    assert [r["Child reference"] for r in tables["Placements"]] == ["Total of the rows shown"]
    assert tables["By category"] == [
        {"Category": "in_house_fostering", "Children (per row, do not sum)": "suppressed"}
    ]


def test_a_closed_month_refuses_postings_and_reports_as_at_a_moment_stay_the_same(
    council: LedgerStack, auth: Auth
) -> None:
    closed = council.client.post("/months/2025-10/close", json={"reason": "October reported"},
                                 headers=auth("finance"))  # fmt: skip
    assert closed.status_code == 201 and closed.get_json()["action"] == "close"
    again = council.client.post("/months/2025-10/close", json={}, headers=auth("finance"))
    assert again.status_code == 409 and problem_fields(again) == {"month"}
    into_closed = {
        **invoice("B-oct", "iv-block", None, "2025-10-01", "2025-10-31", 1),
        "accounting_date": "2025-10-31",
    }
    refused = council.client.post("/transactions", json=into_closed, headers=auth("finance"))
    assert refused.status_code == 409 and problem_fields(refused) == {"accounting_date"}
    assert "2025-10 is closed" in refused.get_json()["detail"]
    pointing_back = {**into_closed, "accounting_date": "2025-11-03"}
    assert (
        council.client.post(
            "/transactions", json=pointing_back, headers=auth("finance")
        ).status_code
        == 201
    )
    months = council.client.get("/months", headers=auth("auditor")).get_json()
    assert months["closed"] == ["2025-10"] and months["history"][0]["reason"] == "October reported"
    reopened = council.client.post("/months/2025-10/reopen", json={}, headers=auth("finance"))
    assert reopened.status_code == 201
    assert council.client.get("/months", headers=auth("auditor")).get_json()["closed"] == []
    audit = council.runtime.db["audit_log"]
    assert {a["action"] for a in audit.find()} >= {"close_month", "reopen_month"}

    moment = datetime.now(UTC).isoformat()
    before = forecast(council, auth, as_at=moment)
    spend_before = council.client.get("/spend", query_string={"basis": "invoiced", "as_at": moment},
                                      headers=auth("finance")).get_json()  # fmt: skip
    late = invoice("F-sep", "iv-fost", "C-A", "2025-09-01", "2025-09-30", 12_345)
    assert (
        council.client.post("/transactions", json=late, headers=auth("finance")).status_code == 201
    )

    again_then = forecast(council, auth, as_at=moment)
    assert again_then["rows"] == before["rows"] and again_then["as_at"] == before["as_at"]
    now = forecast(council, auth)
    assert rows(now)["iv-fost"]["actual_pence"] == rows(before)["iv-fost"]["actual_pence"] + 12_345
    spend_then = council.client.get("/spend", query_string={"basis": "invoiced", "as_at": moment},
                                    headers=auth("finance")).get_json()  # fmt: skip
    assert spend_then["total_pence"] == spend_before["total_pence"]
    assert spend_then["as_at"] == spend_before["as_at"] and spend_then["generated_at"]
    spend_now = council.client.get(
        "/spend", query_string={"basis": "invoiced"}, headers=auth("finance")
    )
    assert spend_now.get_json()["total_pence"] == spend_before["total_pence"] + 12_345


def test_the_terminal_shows_the_forecast_and_the_exceptions(
    council: LedgerStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACORN_LEDGER_DB", council.settings.database)
    out = io.StringIO()
    forecast_args = ["--fy", "2025", "--basis", "invoiced", "--actuals-to", "2025-09-30"]
    assert ledger_cli.main(["forecast", *forecast_args, "--group-by", "category"], out=out) == 0
    text = out.getvalue()
    assert "Forecast outturn 2025-26 by category" in text
    assert "actual to 2025-09-30 on the invoiced basis" in text
    assert "in_house_fostering" in text and "£55,700.00" in text and "11.4" in text
    out = io.StringIO()
    exception_args = [*forecast_args, "--on", "2025-10-01", "--threshold-pence", "70000"]
    assert ledger_cli.main(["exceptions", *exception_args], out=out) == 0
    text = out.getvalue()
    assert "High-cost placements (£700.00 a week or more): 2" in text
    assert "Budgets that will run out: 1" in text and "2026-02" in text


def test_every_month_end_report_answers_what_its_openapi_schema_says(
    council: LedgerStack, auth: Auth
) -> None:
    client = council.client
    client.put(
        "/framework-ceilings/in_house_fostering/per_child_week",
        json={"unit_price": 75_000},
        headers=auth("finance"),
    )
    client.post("/saved-forecasts", json=FORECAST, headers=auth("finance"))
    client.post("/months/2025-04/close", json={}, headers=auth("finance"))
    for path, query in [
        ("/forecast", FORECAST),
        ("/saved-forecasts", {"fy": 2025}),
        ("/exceptions/high-cost", {"on": "2025-10-01", "threshold_pence": 70_000}),
        ("/exceptions/above-ceiling", {"on": "2026-01-15"}),
        ("/exceptions/paid-after-end", {}),
        ("/exceptions/budget-run-out", FORECAST),
        ("/months", {}),
        ("/framework-ceilings", {}),
        ("/cost-centres", {}),
        ("/balances", {}),
        ("/reconciliation", {}),
    ]:
        answer = client.get(path, query_string=query, headers=auth("finance"))
        assert answer.status_code == 200, answer.get_json()
        assert documented_errors(client, path, answer.get_json()) == [], path
