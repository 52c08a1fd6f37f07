"""The value service over HTTP, fed by envelopes on the real broker as the services publish them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from deploy import cli as deploy_cli
from tests.support.bus import wait_until
from tests.support.openapi import documented_errors
from tests.value import events as ev
from tests.value.conftest import ValueService

pytestmark = pytest.mark.integration


def report(value: ValueService, auth: Callable[..., dict[str, str]], path: str, **query: Any):
    return value.client.get(f"/reports/{path}", query_string=query, headers=auth("finance"))


@pytest.fixture
def worked_example_published(
    value_service: ValueService, consuming: Any, auth: Callable[..., dict[str, str]]
) -> dict[str, Any]:
    """The worked example published as the services would, and visible in the report."""
    example = ev.worked_example()
    # any arrival order: money first, then outcomes, then what was commissioned
    for topic in ("ledger", "outcomes", "commissioning"):
        value_service.publish(topic, example[topic])

    def settled() -> dict[str, Any] | None:
        body = report(value_service, auth, "cost-per-outcome", fy=2024).get_json()
        return body if body["total"]["better_off"] == "1.000" else None

    body: dict[str, Any] = wait_until(settled, what="the worked example in the report")
    return body


def test_worked_example_over_kafka_and_http(
    value_service: ValueService,
    worked_example_published: dict[str, Any],
    auth: Callable[..., dict[str, str]],
) -> None:
    body = worked_example_published
    rows = {row["group"]: row for row in body["rows"]}
    expected = {
        "int-a": ("£1,200.00", "0.250", "£4,800.00"),
        "int-b": ("£3,600.00", "0.750", "£4,800.00"),
    }
    for group, figures in expected.items():
        row = rows[group]
        assert (row["spend"], row["better_off"], row["cost_per_better_off"]) == figures
    total = body["total"]
    assert (total["spend"], total["better_off"], total["cost_per_better_off"]) == (
        "£4,800.00",
        "1.000",
        "£4,800.00",
    )
    assert total["better_off_per_1000"] == "0.208"
    assert total["spend_pence"] == 480_000 and total["unallocated_spend_pence"] == 0

    reconciliation = report(value_service, auth, "reconciliation", fy=2024).get_json()
    assert reconciliation["balanced"] and reconciliation["ledger_spend_pence"] == 480_000

    # no basis asked: the one the ledger's /spend reads too (tests/ledger/test_api.py)
    assert (body["basis"], body["spend_recorded_on_basis"], body["notice"]) == (
        "invoiced",
        True,
        None,
    )
    accrued = report(value_service, auth, "cost-per-outcome", fy=2024, basis="accrued").get_json()
    assert accrued["notice"].startswith("No spend is recorded on the accrued basis")


def test_redelivered_and_stale_events_change_nothing(
    value_service: ValueService, consuming: Any, auth: Callable[..., dict[str, str]]
) -> None:
    example = ev.worked_example()
    renamed = ev.provider("prov-oak", name="Oak Family Support (renamed)", version=2)
    value_service.publish("commissioning", [renamed, *example["commissioning"]])
    value_service.publish("ledger", example["ledger"] * 2)  # at-least-once: same event ids
    value_service.publish("outcomes", example["outcomes"])
    wait_until(lambda: consuming.stats.handled >= 12, what="every event handled")
    body = report(value_service, auth, "cost-per-outcome", fy=2024, group_by="provider").get_json()
    [row] = body["rows"]
    assert row["label"] == "Oak Family Support (renamed)"  # version 1 arrived after version 2
    assert row["spend_pence"] == 480_000


@pytest.mark.parametrize("role", ["finance", "commissioner", "auditor", "admin"])
def test_report_readers(
    value_service: ValueService, auth: Callable[..., dict[str, str]], role: str
):
    response = value_service.client.get(
        "/reports/cost-per-outcome", query_string={"fy": 2024}, headers=auth(role)
    )
    assert response.status_code == 200, response.get_json()


def test_providers_are_refused(value_service: ValueService, auth: Callable[..., dict[str, str]]):
    response = value_service.client.get(
        "/reports/cost-per-outcome",
        query_string={"fy": 2024},
        headers=auth("provider", provider_id="prov-oak"),
    )
    assert response.status_code == 403


def test_only_finance_sees_small_numbers_unsuppressed(
    value_service: ValueService, auth: Callable[..., dict[str, str]]
) -> None:
    query = {"fy": 2024, "unsuppressed": "true"}
    url = "/reports/cost-per-outcome"
    assert (
        value_service.client.get(url, query_string=query, headers=auth("finance")).status_code
        == 200
    )
    assert (
        value_service.client.get(url, query_string=query, headers=auth("auditor")).status_code
        == 403
    )


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"fy": 2024, "month": "2025-01"},
        {"quarter": 2},
        {"from": "2025-02-01"},
        {"from": "2025-02-01", "to": "2025-01-01"},
        {"fy": 2024, "basis": "hoped"},
        {"fy": 2024, "x": 1},
    ],
)
def test_bad_periods_and_parameters_are_refused(
    value_service: ValueService, auth: Callable[..., dict[str, str]], query: dict[str, Any]
) -> None:
    response = value_service.client.get(
        "/reports/cost-per-outcome", query_string=query, headers=auth("finance")
    )
    assert response.status_code == 422, response.get_json()


def test_downloads_and_charts(
    value_service: ValueService,
    worked_example_published: dict[str, Any],
    auth: Callable[..., dict[str, str]],
) -> None:
    csv = report(value_service, auth, "cost-per-outcome", fy=2024, format="csv")
    assert csv.mimetype == "text/csv"
    assert csv.headers["Content-Disposition"] == (
        'attachment; filename="cost-per-outcome_2024-04-01_2025-03-31_invoiced_cost-share_'
        'by-intervention_unsuppressed.csv"'  # the test service shows small numbers
    )
    text = csv.get_data(as_text=True)
    assert text.startswith("Report,Cost per better-off outcome\n") and "\nGenerated at,20" in text
    assert "\nTotal,All,4800.00," in text
    xlsx = report(value_service, auth, "reconciliation", fy=2024, format="xlsx")
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"
    assert xlsx.headers["Content-Disposition"].endswith('_invoiced.xlsx"')
    png = report(value_service, auth, "cost-per-outcome", fy=2024, format="png")
    assert png.mimetype == "image/png" and png.get_data().startswith(b"\x89PNG")
    curve = report(
        value_service,
        auth,
        "turn-the-curve",
        fy=2024,
        indicator="attendance",
        since="2025-01-01",
        format="svg",
    )
    assert curve.mimetype == "image/svg+xml" and b"Turning the curve" in curve.get_data()
    assert report(value_service, auth, "report-card", fy=2024, format="png").status_code == 422


def test_report_card_curve_and_gap_as_json(
    value_service: ValueService,
    worked_example_published: dict[str, Any],
    auth: Callable[..., dict[str, str]],
) -> None:
    card = report(value_service, auth, "report-card", fy=2024, group_by="provider").get_json()
    [oak] = card["cards"]
    assert oak["label"] == "Oak Family Support"
    assert oak["how_much"]["spend"] == "£4,800.00"
    assert oak["is_anyone_better_off"][0]["better_off"] == 1
    curve = report(
        value_service, auth, "turn-the-curve", fy=2024, indicator="attendance", since="2025-01-01"
    ).get_json()
    march = {m["month"]: m for m in curve["months"]}["2025-03"]
    assert march["actual"] == "92.00" and march["spend_pence"] > 0
    assert curve["markers"] == [
        {"intervention": "int-a", "title": "Intervention int-a", "began": "2025-01-06"},
        {"intervention": "int-b", "title": "Intervention int-b", "began": "2025-01-06"},
    ]
    gap = report(
        value_service,
        auth,
        "narrow-the-gap",
        fy=2024,
        indicator="attendance",
        first="high",
        second="low",
    )
    assert gap.status_code == 200 and gap.get_json()["gap_closing"] is None
    unknown = report(
        value_service, auth, "turn-the-curve", fy=2024, indicator="joy", since="2025-01-01"
    )
    assert unknown.status_code == 422


def test_cli_prints_the_cost_per_outcome_table(
    value_service: ValueService,
    worked_example_published: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in value_service.environ.items():
        monkeypatch.setenv(name, value)
    assert deploy_cli.main(["report", "--fy", "2024"]) == 0
    out = capsys.readouterr().out
    total = out.splitlines()[-2]
    assert total.split()[:2] == ["All", "£4,800.00"]
    assert total.split()[-2:] == ["£4,800.00", "0.208"]


def test_every_report_answers_what_its_openapi_schema_says(
    value_service: ValueService,
    worked_example_published: dict[str, Any],
    auth: Callable[..., dict[str, str]],
) -> None:
    curve = {"indicator": "attendance", "since": "2025-01-01"}
    for path, query in [
        ("cost-per-outcome", {}),
        ("cost-per-outcome", {"group_by": "provider"}),
        ("report-card", {}),
        ("reconciliation", {}),
        ("turn-the-curve", curve),
        ("narrow-the-gap", {"indicator": "attendance", "first": "low", "second": "high"}),
    ]:
        answer = report(value_service, auth, path, fy=2024, **query)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert documented_errors(value_service.client, f"/reports/{path}", body) == [], path
    wrong = {**worked_example_published, "total": {"spend_pence": "4800.00"}}
    assert documented_errors(value_service.client, "/reports/cost-per-outcome", wrong)
