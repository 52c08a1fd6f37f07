"""Each role's journeys in a real browser against the real system, figures checked against the
APIs' JSON, and axe-core on every page."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from shared.money import format_pounds
from tests.support.bus import wait_until
from tests.support.exports import csv_parts
from tests.web.conftest import WebSystem, accessible, screenshot, sign_in, token_for

pytestmark = pytest.mark.integration

FY = "2024"  # the tiny council's last financial year: the year pages open on


def figure(page: Page, name: str) -> str:
    return page.locator(f"[data-figure='{name}']").first.inner_text().strip()


def test_finance_reaches_cost_per_outcome_and_the_rows_behind_a_figure(
    page: Page, web_system: WebSystem
) -> None:
    web = web_system.web
    report = web_system.api("finance", "value", "/reports/cost-per-outcome", fy=FY)
    page.goto(web)
    expect(page).to_have_url(re.compile(r"/sign-in"))
    accessible(page)
    screenshot(page, "sign-in")
    sign_in(page, web, "finance")

    # home: the year's headline, as the value API computes it
    expect(page.get_by_role("heading", level=1)).to_contain_text("2024-04-01 to 2025-03-31")
    total = report["total"]
    assert figure(page, "spend") == total["spend"]
    assert figure(page, "cost_per_better_off") == total["cost_per_better_off"]
    assert figure(page, "better_off") == total["better_off"]
    assert figure(page, "children_served") == str(total["children_served"])
    # the rows behind the biggest figure are one click from home (three from the sign-in page)
    biggest = max(report["rows"], key=lambda r: r["spend_pence"])
    home_link = page.locator(f"#where-the-money-went tr[data-group='{biggest['group']}'] a")
    assert "/reports/cost-per-outcome/interventions/" in (home_link.get_attribute("href") or "")
    accessible(page)
    screenshot(page, "home-finance")

    # one click: the table, every row as the API has it
    page.get_by_role("link", name=re.compile("See cost per outcome by intervention")).click()
    table = page.locator("#cost-per-outcome")
    for row in report["rows"]:
        cells = table.locator(f"tr[data-group='{row['group']}']")
        expect(cells.locator("[data-column='spend'] [data-value]")).to_have_text(row["spend"])
        expected = row["cost_per_better_off"] or "\N{EN DASH}"
        expect(cells.locator("[data-column='cost_per_better_off']")).to_have_text(expected)
    accessible(page)
    screenshot(page, "cost-per-outcome")

    # sorted by spend, highest first, without JavaScript's help (a link)
    page.get_by_role("link", name="Spend", exact=True).click()
    page.get_by_role("link", name="Spend", exact=True).click()
    spends = [r["spend_pence"] for r in sorted(report["rows"], key=lambda r: -r["spend_pence"])]
    groups = table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.group)")
    by_group = {r["group"]: r["spend_pence"] for r in report["rows"]}
    assert [by_group[g] for g in groups] == spends

    # the downloads are the value API's files
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    about, rows = csv_parts(download.value.path().read_text())
    assert about["Report"] == "Cost per better-off outcome"
    groups_listed = [r["Intervention id"] for r in rows]
    assert groups_listed[: len(report["rows"])] == [r["group"] for r in report["rows"]]
    assert groups_listed[-1] == "Total"

    # from the table too: the rows behind one figure
    table.locator(f"tr[data-group='{biggest['group']}'] [data-column='spend'] a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(biggest["label"])
    assert figure(page, "spend") == biggest["spend"]
    enrolments = web_system.api(
        "finance", "commissioning", "/enrolments", intervention_id=biggest["group"], page_size=500
    )["items"]
    in_period = [
        e
        for e in enrolments
        if e["start_date"] <= "2025-03-31" and (e["end_date"] or "9") >= "2024-04-01"
    ]
    expect(page.locator("#enrolments-table tbody tr")).to_have_count(len(in_period))
    expect(page.locator("#cost-lines-table tbody tr").first).to_be_visible()
    expect(page.locator("#observations-table")).to_have_count(0)  # finance may not read them
    accessible(page)
    screenshot(page, "rows-behind-a-figure")

    # a cost line links to its ledger transaction
    page.locator("#cost-lines-table tbody tr a").first.click()
    expect(page.get_by_role("heading", name="Postings")).to_be_visible()
    accessible(page)


def test_finance_reads_report_cards_the_curve_and_reconciliation(
    page: Page, web_system: WebSystem
) -> None:
    web = web_system.web
    sign_in(page, web, "finance")
    cards = web_system.api("finance", "value", "/reports/report-card", fy=FY)["cards"]
    page.get_by_role("link", name="Report cards").first.click()
    expect(page.locator(".govuk-summary-card")).to_have_count(len(cards))
    expect(page.get_by_text(cards[0]["how_much"]["sentence"])).to_be_visible()
    accessible(page)
    screenshot(page, "report-cards")

    page.get_by_role("link", name="Turn the curve").first.click()
    expect(page.locator("#curve-chart")).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart('curve-chart')")
    drawn = page.evaluate("() => Chart.getChart('curve-chart').data.datasets[0].data.length")
    expect(page.locator("#curve-table tbody tr")).to_have_count(drawn)
    page.get_by_label("Why does the line go where it goes").fill(
        "Attendance dipped in the winter term; mentoring began in October."
    )
    page.get_by_role("button", name="Save the story").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "story behind the curve is saved"
    )
    expect(page.locator("#latest-story")).to_contain_text("mentoring began in October")
    shown = page.locator("#indicator").input_value()
    stories = web_system.api("finance", "outcomes", f"/indicators/{shown}/stories")
    assert stories["items"][-1]["written_by"] == "dev-finance"
    accessible(page)
    screenshot(page, "turn-the-curve")

    reconciliation = web_system.api("finance", "value", "/reports/reconciliation", fy=FY)
    page.get_by_role("link", name="Reconciliation").first.click()
    assert figure(page, "report_spend") == reconciliation["report_spend"]
    assert figure(page, "ledger_spend") == reconciliation["ledger_spend"]
    expect(page.get_by_text("Yes, to the penny")).to_be_visible()
    accessible(page)

    # a period the API refuses comes back in the error summary, not as a failure
    page.get_by_label("Between two dates").check()
    page.get_by_label("From (YYYY-MM-DD)").fill("2025-03-31")
    page.get_by_label("To (YYYY-MM-DD)").fill("2024-04-01")
    page.get_by_role("button", name="Show the report").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    accessible(page)


def test_finance_forecasts_the_outturn_lists_exceptions_and_closes_a_month(
    page: Page, web_system: WebSystem
) -> None:
    web = web_system.web
    # a framework ceiling below one intervention's price, so "prices above the agreed rate" has
    # a row to show
    interventions = web_system.api("finance", "commissioning", "/interventions", page_size=500)
    priced = next(
        i
        for i in interventions["items"]
        if i["prices"][-1]["unit_price_pence"] > 100 and i["end_date"] >= "2025-03-31"
    )
    answer = requests.put(
        f"{web_system.urls['ledger']}/framework-ceilings/{priced['category']}/"
        f"{priced['pricing_model']}",
        json={"unit_price": priced["prices"][-1]["unit_price_pence"] - 100},
        headers={"Authorization": f"Bearer {token_for('finance')}",
                 "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    sign_in(page, web, "finance")

    # home: the forecast outturn against budget, as the ledger works it out
    forecast = web_system.api(
        "finance", "ledger", "/forecast", fy=FY, group_by="category", basis="invoiced"
    )  # fmt: skip
    assert figure(page, "forecast") == format_pounds(forecast["total"]["forecast_pence"])
    assert figure(page, "budget") == format_pounds(forecast["total"]["budget_pence"])

    page.get_by_role("link", name="See the forecast by category, provider and intervention").click()
    table = page.locator("#forecast-table")
    for row in forecast["rows"]:
        cells = table.locator(f"tr[data-group='{row['key']}']")
        expect(cells.locator("[data-column='forecast']")).to_have_text(
            format_pounds(row["forecast_pence"])
        )
    accessible(page)
    screenshot(page, "forecast")
    page.get_by_label("Group by").select_option(value="intervention")
    page.get_by_label("New demand (% of committed cost)").fill("2.5")
    page.get_by_role("button", name="Show the forecast").click()
    expect(page.locator("#assumptions")).to_contain_text("2.5% of committed cost")
    page.get_by_role("button", name="Save this forecast").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Forecast saved")
    saved = web_system.api("finance", "ledger", "/saved-forecasts", fy=FY)["saved"]
    assert saved[-1]["saved_by"] == "dev-finance"
    assert saved[-1]["parameters"]["demand_growth_bp"] == 250
    expect(page.locator("#saved-forecasts li")).to_have_count(len(saved))
    accessible(page)

    # the exceptions behind the variance
    page.get_by_role("link", name="Exceptions").first.click()
    above = web_system.api(
        "finance", "ledger", "/exceptions/above-ceiling", on="2025-03-31"
    )["rows"]  # fmt: skip
    assert any(r["intervention_id"] == priced["intervention_id"] for r in above)
    expect(page.locator("#above-ceiling-table tbody tr")).to_have_count(len(above))
    high = web_system.api(
        "finance", "ledger", "/exceptions/high-cost", threshold_pence=100_000, on="2025-03-31"
    )["rows"]  # fmt: skip
    page.get_by_label("High cost: a week at or above").fill("1,000")
    page.get_by_role("button", name="Show the exceptions").click()
    expect(page.locator("#high-cost-table tbody tr")).to_have_count(max(len(high), 1))
    accessible(page)
    screenshot(page, "exceptions")

    # month close: confirmed, recorded by the ledger with who and why, and reopened
    page.get_by_role("link", name="Month close").first.click()
    month = page.get_by_label("Close a month").input_value()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Close {month}?")
    accessible(page)
    screenshot(page, "close-a-month")
    page.get_by_label("Why (optional)").fill("Reported to members")
    page.get_by_role("button", name=f"Yes, close {month}").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"{month} is closed")
    months = web_system.api("finance", "ledger", "/months")
    assert month in months["closed"]
    assert months["history"][-1]["reason"] == "Reported to members"
    expect(page.locator("#month-history")).to_contain_text("Reported to members")
    accessible(page)
    page.get_by_role("link", name=f"Reopen {month}").click()
    page.get_by_role("button", name=f"Yes, reopen {month}").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"{month} is open again")
    assert month not in web_system.api("finance", "ledger", "/months")["closed"]


def test_a_commissioner_narrows_the_gap_and_drills_into_a_provider(
    page: Page, web_system: WebSystem
) -> None:
    web = web_system.web
    sign_in(page, web, "commissioner")
    page.goto(f"{web}/reports/narrow-the-gap?fy={FY}")
    indicator = page.locator("#indicator").input_value()
    gap = web_system.api(
        "commissioner", "value", "/reports/narrow-the-gap", fy=FY, indicator=indicator,
        first="complex", second="low",
    )  # fmt: skip
    expect(page.locator("#gap-table tbody tr")).to_have_count(len(gap["months"]))
    page.wait_for_function("() => window.Chart && Chart.getChart('gap-chart')")
    drawn = page.evaluate("() => Chart.getChart('gap-chart').data.datasets.length")
    assert drawn == 3
    accessible(page)
    screenshot(page, "narrow-the-gap")

    # a row grouped by provider leads to its interventions, and each of those to its rows
    by_provider = web_system.api(
        "commissioner", "value", "/reports/cost-per-outcome", fy=FY, group_by="provider"
    )
    by_intervention = web_system.api(
        "commissioner", "value", "/reports/cost-per-outcome", fy=FY
    )["rows"]  # fmt: skip
    row = max(by_provider["rows"], key=lambda r: r["spend_pence"])
    page.goto(f"{web}/reports/cost-per-outcome?fy={FY}&group_by=provider")
    page.locator(f"tr[data-group='{row['group']}'] [data-column='spend'] a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(row["label"])
    assert figure(page, "spend") == row["spend"]
    every = web_system.api("commissioner", "commissioning", "/interventions", page_size=500)
    ids = {i["intervention_id"] for i in every["items"] if i["provider_id"] == row["group"]}
    listed = page.locator("#group-interventions-table tbody tr[data-group]")
    expect(listed).to_have_count(sum(1 for r in by_intervention if r["group"] in ids))
    accessible(page)
    listed.first.locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("The rows behind")


def test_commissioner_commissions_amends_enrols_and_ends(page: Page, web_system: WebSystem) -> None:
    web = web_system.web
    sign_in(page, web, "commissioner")
    provider = web_system.api("commissioner", "commissioning", "/providers")["items"][0]

    page.get_by_role("link", name="Interventions").first.click()
    accessible(page)
    screenshot(page, "interventions")
    page.get_by_role("button", name="Commission an intervention").click()

    # an empty form: the error summary names what to fix, and links to it
    page.get_by_role("button", name="Commission").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a title")
    expect(summary).to_contain_text("Enter the date")
    accessible(page)
    screenshot(page, "commission-errors")

    page.get_by_label("Provider").select_option(label=provider["name"])
    page.get_by_label("Title").fill("Mentoring for school attendance")
    page.get_by_label("Category").select_option(value="education_support")
    page.get_by_label("Pricing").select_option(value="per_child_week")
    page.get_by_label("Unit price").fill("120.00")
    page.get_by_label("Capacity (children)").fill("10")
    page.get_by_label("Budget").fill("60000")
    for name, (day, month, year) in (
        ("start_date", ("1", "4", "2025")),
        ("end_date", ("31", "3", "2026")),
    ):
        page.locator(f"#{name}-day").fill(day)
        page.locator(f"#{name}-month").fill(month)
        page.locator(f"#{name}-year").fill(year)
    page.get_by_label("School attendance").check()
    page.get_by_role("button", name="Commission").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mentoring for school attendance")
    intervention_id = page.url.rsplit("/", 1)[1]
    assert (
        web_system.api("commissioner", "commissioning", f"/interventions/{intervention_id}")[
            "prices"
        ][0]["unit_price_pence"]
        == 12000
    )
    accessible(page)

    page.get_by_role("button", name="Amend the price").click()
    page.get_by_label("New unit price").fill("130.50")
    page.locator("#effective_from-day").fill("1")
    page.locator("#effective_from-month").fill("10")
    page.locator("#effective_from-year").fill("2025")
    page.get_by_role("button", name="Amend the price").click()
    expect(page.locator("#prices-table")).to_contain_text("£130.50")
    prices = web_system.api("commissioner", "commissioning", f"/interventions/{intervention_id}")[
        "prices"
    ]
    assert prices[-1] == {"effective_from": "2025-10-01", "unit_price_pence": 13050}

    page.get_by_role("button", name="Activate it").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The intervention is active")
    page.get_by_role("button", name="Enrol a child").click()
    page.get_by_label("The child's reference").fill("CH-web-0001")
    page.locator("#start_date-day").fill("7")
    page.locator("#start_date-month").fill("4")
    page.locator("#start_date-year").fill("2025")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CH-web-0001")
    accessible(page)

    page.get_by_role("button", name="End this enrolment").click()
    page.locator("#end_date-day").fill("30")
    page.locator("#end_date-month").fill("9")
    page.locator("#end_date-year").fill("2025")
    page.get_by_label("Why it ends").fill("Attendance back above 95%")
    page.get_by_role("button", name="End the enrolment").click()
    expect(page.locator(".govuk-summary-list")).to_contain_text("2025-09-30")
    enrolment_id = page.url.rsplit("/", 1)[1]
    ended = web_system.api("commissioner", "commissioning", f"/enrolments/{enrolment_id}")
    assert ended["end_date"] == "2025-09-30"

    # lists filter, and a commissioner reads children's observations but not the ledger
    page.goto(f"{web}/interventions?category=early_help")
    for row in page.locator("#interventions-table tbody tr").all():
        expect(row).to_contain_text("Early help")
    page.get_by_role("link", name="Enrolments").first.click()
    accessible(page)
    page.goto(f"{web}/transactions/anything")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")


def test_provider_sees_its_children_posts_a_reading_and_its_invoices(
    page: Page, web_system: WebSystem
) -> None:
    web = web_system.web
    providers = web_system.api("commissioner", "commissioning", "/providers")["items"]
    provider = providers[0]
    pid = provider["provider_id"]
    sign_in(page, web, "provider", provider_name=provider["name"])
    expect(page.get_by_role("heading", level=1)).to_have_text("The children you hold")
    held = web_system.api(
        "provider",
        "commissioning",
        "/enrolments",
        provider_id=pid,
        status="enrolled",
        page_size=500,
    )["items"]
    children = sorted({e["child_ref"] for e in held})
    expect(page.locator("#children-list li")).to_have_count(len(children))
    expect(page.get_by_role("link", name="Cost per outcome")).to_have_count(0)
    accessible(page)
    screenshot(page, "provider-children")

    child = children[0]
    page.get_by_role("link", name=child).click()
    accessible(page)
    page.get_by_role("button", name="Post a reading for this child").click()
    page.get_by_label("Indicator").select_option(value="school_attendance")
    page.get_by_label("Reading").fill("ninety")
    page.get_by_role("button", name="Post the reading").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be a number")
    accessible(page)
    screenshot(page, "post-a-reading-errors")
    page.get_by_label("Reading").fill("93")
    page.locator("#observed_on-day").fill("15")
    page.locator("#observed_on-month").fill("3")
    page.locator("#observed_on-year").fill("2026")
    page.get_by_role("button", name="Post the reading").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Reading recorded")
    latest = page.locator("#latest-table tr[data-indicator='school_attendance']")
    expect(latest).to_contain_text("2026-03-15")
    expect(latest).to_contain_text("93")

    # a spreadsheet of readings: the template lists this provider's interventions' indicators,
    # each row's result is shown, and the refused rows come back as a file
    every = web_system.api("commissioner", "commissioning", "/interventions", page_size=500)
    targets = {
        code for i in every["items"] if i["provider_id"] == pid for code in i["target_indicators"]
    }
    outcomes = web_system.urls["outcomes"]
    provider_token = {"Authorization": f"Bearer {token_for('provider', provider_id=pid)}"}

    def template_lists_targets() -> bool:
        answer = requests.get(
            f"{outcomes}/observations/template", headers=provider_token, timeout=30
        )  # fmt: skip
        sheet = load_workbook(io.BytesIO(answer.content), read_only=True)["indicators"]
        return {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == targets

    wait_until(template_lists_targets, what="the template listing the provider's indicators")
    page.get_by_role("link", name="Upload a spreadsheet").click()
    with page.expect_download() as template:
        page.get_by_role("link", name=re.compile("Excel \\(XLSX\\), with your")).click()
    assert template.value.suggested_filename == "observations-template.xlsx"
    workbook = load_workbook(io.BytesIO(template.value.path().read_bytes()), read_only=True)
    listed = {r[0] for r in workbook["indicators"].iter_rows(min_row=2, values_only=True)}
    assert listed == targets
    today = datetime.now(UTC).date().isoformat()
    sheet = Path(template.value.path()).with_name("readings.csv")
    sheet.write_text(
        "child_ref,indicator_code,value,observed_on\n"
        f"{child},school_attendance,88,{today}\n"
        f"{child},school_attendance,ninety,{today}\n"
    )
    page.get_by_label("The spreadsheet").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload the readings").click()
    assert figure(page, "recorded") == "1" and figure(page, "refused") == "1"
    expect(page.locator("#upload-results-table tr[data-line='3']")).to_contain_text(
        "must be a number"
    )
    accessible(page)
    screenshot(page, "upload-results")
    with page.expect_download() as refused:
        page.locator("#refused-rows").click()
    rows = list(csv.DictReader(io.StringIO(Path(refused.value.path()).read_text())))
    assert [(r["line"], r["value"]) for r in rows] == [("3", "ninety")]
    assert "must be a number" in rows[0]["reason"]

    invoices = web_system.api(
        "provider", "ledger", "/transactions", provider_id=pid, kind="invoice", page_size=500
    )
    page.get_by_role("link", name="Invoices").click()
    expect(page.locator("#invoices-table tbody tr")).to_have_count(invoices["total"])
    accessible(page)
    screenshot(page, "provider-invoices")

    # what the APIs would refuse, the pages do not offer
    page.goto(f"{web}/reports/cost-per-outcome")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
