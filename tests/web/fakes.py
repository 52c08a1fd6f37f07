"""A fake of the four API clients for fast page tests: canned answers, and the calls made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.web.adapters.api import ApiError, Backends, Download

PROVIDER = {
    "provider_id": "prv-1",
    "name": "Ashdown Care Ltd",
    "kind": "independent",
    "ofsted_urn": "SC123456",
    "status": "active",
    "version": 1,
}
INTERVENTION = {
    "intervention_id": "int-1",
    "provider_id": "prv-1",
    "title": "Intensive family support",
    "category": "family_support",
    "pricing_model": "per_child_week",
    "prices": [{"effective_from": "2024-04-01", "unit_price_pence": 30000}],
    "capacity": 10,
    "start_date": "2024-04-01",
    "end_date": "2025-03-31",
    "budget_pence": 5_000_000,
    "target_indicators": ["school_attendance"],
    "status": "active",
    "version": 2,
}
ENROLMENTS = [
    {
        "enrolment_id": "int-1:e1",
        "intervention_id": "int-1",
        "provider_id": "prv-1",
        "child_ref": "CH-1",
        "start_date": "2024-05-01",
        "end_date": None,
        "end_reason": None,
        "status": "enrolled",
        "version": 1,
    },
    {
        "enrolment_id": "int-1:e2",
        "intervention_id": "int-1",
        "provider_id": "prv-1",
        "child_ref": "CH-2",
        "start_date": "2023-05-01",
        "end_date": "2023-09-30",
        "end_reason": "moved",
        "status": "ended",
        "version": 2,
    },
]


def _row(
    group: str, label: str, spend_pence: int, cost_per: str | None, pence: int | None
) -> dict[str, Any]:
    return {
        "group": group,
        "label": label,
        "spend": f"£{spend_pence / 100:,.2f}",
        "spend_pence": spend_pence,
        "unallocated_spend_pence": 0,
        "children_served": 6,
        "children_with_baseline_and_later": 6,
        "better_off": "2.000",
        "worse_off": "suppressed",
        "cost_per_better_off": cost_per,
        "cost_per_better_off_pence": pence,
        "better_off_per_1000": "0.100",
        "child_weeks": "100.00",
    }


COST_PER_OUTCOME = {
    "report": "cost_per_outcome",
    "method": "reference value method, version 1",
    "period": {"from": "2024-04-01", "to": "2025-03-31"},
    "basis": "invoiced",
    "rule": "cost_share",
    "group_by": "intervention",
    "suppression_threshold": 5,
    "rows": [
        _row("int-1", "Intensive family support", 2_000_000, "£10,000.00", 1_000_000),
        _row("int-2", "Attendance mentoring", 500_000, None, None),
        _row("int-3", "Early help hub", 9_000_000, "£45,000.00", 4_500_000),
    ],
    "total": {
        **_row("all", "All", 11_500_000, "£19,166.67", 1_916_667),
        "children_served": 18,
        "better_off": "6.000",
    },
}
TRANSACTION = {
    "transaction_id": "invoice-1",
    "kind": "invoice",
    "basis": "invoiced",
    "intervention_id": "int-1",
    "provider_id": "prv-1",
    "invoice_number": "INV-1",
    "description": "May",
    "accounting_date": "2024-06-01",
    "reverses": None,
    "source": "api:finance",
    "service_period_start": "2024-05-01",
    "service_period_end": "2024-05-31",
    "lines": [
        {
            "child_ref": "CH-1",
            "cost_pence": 130000,
            "service_period_start": "2024-05-01",
            "service_period_end": "2024-05-31",
        }
    ],
    "postings": [],
}
OBSERVATION = {
    "observation_id": "o1",
    "child_ref": "CH-1",
    "indicator_code": "school_attendance",
    "value": 91.0,
    "observed_on": "2024-06-01",
    "recorded_at": "2024-06-02T00:00:00Z",
    "status": "current",
}
SPREADSHEET_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UPLOADED = {
    "recorded": 1,
    "refused": 1,
    "duplicates": 0,
    "results": [
        {"line": 2, "index": 0, "status": "recorded", "observation_id": "o9", "errors": []},
        {"line": 3, "index": 1, "status": "invalid", "observation_id": None,
         "errors": [{"field": "value", "reason": "must be a number"}]},
    ],
    "refused_rows_csv": "line,child_ref,value,reason\n3,CH-1,ninety,value: must be a number\n",
}  # fmt: skip
INDICATORS = [
    {"code": "school_attendance", "name": "School attendance", "min_value": 0, "max_value": 100}
]


@dataclass
class Calls:
    made: list[tuple[str, Any]] = field(default_factory=list)
    refuse_with: ApiError | None = None

    def write(self, name: str, body: Any) -> dict[str, Any]:
        self.made.append((name, body))
        if self.refuse_with:
            raise self.refuse_with
        return {"intervention_id": "int-new", "enrolment_id": "int-1:e9"}


@dataclass
class FakeCommissioning:
    calls: Calls

    def providers(self, **filters: Any) -> list[dict[str, Any]]:
        return [PROVIDER]

    def provider(self, provider_id: str) -> dict[str, Any]:
        return PROVIDER

    def interventions(self, **filters: Any) -> list[dict[str, Any]]:
        return [INTERVENTION]

    def intervention(self, intervention_id: str) -> tuple[dict[str, Any], str]:
        return INTERVENTION, '"v2"'

    def enrolments(self, **filters: Any) -> list[dict[str, Any]]:
        return ENROLMENTS

    def enrolment(self, enrolment_id: str) -> tuple[dict[str, Any], str]:
        return ENROLMENTS[0], '"v1"'

    def commission(self, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self.calls.write("commission", body)

    def activate(self, intervention_id: str, *, key: str, etag: str) -> dict[str, Any]:
        return self.calls.write("activate", etag)

    def amend_price(
        self, intervention_id: str, body: dict[str, Any], *, key: str, etag: str
    ) -> dict[str, Any]:
        return self.calls.write("amend_price", (body, etag))

    def enrol(self, intervention_id: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self.calls.write("enrol", body)

    def end_enrolment(
        self, enrolment_id: str, body: dict[str, Any], *, key: str, etag: str
    ) -> dict[str, Any]:
        return self.calls.write("end_enrolment", (body, etag))


@dataclass
class FakeOutcomes:
    calls: Calls

    def indicators(self) -> list[dict[str, Any]]:
        return INDICATORS

    def observations(self, child_ref: str) -> list[dict[str, Any]]:
        return [{**OBSERVATION, "child_ref": child_ref}]

    def record(self, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self.calls.write("record", body)

    def stories(self, indicator_code: str, cohort: str) -> list[dict[str, Any]]:
        return [
            {"text": "Attendance fell after the summer.", "written_by": "dev-finance",
             "written_at": "2025-01-10T09:00:00+00:00", "cohort": cohort},
            {"text": "Mentoring began in October.", "written_by": "dev-commissioner",
             "written_at": "2025-02-10T09:00:00+00:00", "cohort": cohort},
        ]  # fmt: skip

    def save_story(self, indicator_code: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self.calls.write("save_story", (indicator_code, body))

    def upload(self, body: bytes, *, content_type: str, key: str) -> dict[str, Any]:
        self.calls.write("upload", (body, content_type))
        return UPLOADED

    def template(self, extension: str) -> Download:
        return Download(b"child_ref,indicator_code\n", "text/csv", f"template.{extension}")


def _figures(key: str, budget: int, actual: int, committed: int) -> dict[str, Any]:
    forecast = actual + committed
    return {
        "key": key, "budget_pence": budget, "actual_pence": actual, "committed_pence": committed,
        "growth_pence": 0, "forecast_pence": forecast, "variance_pence": forecast - budget,
        "variance_percent": f"{(forecast - budget) * 100 / budget:.1f}",
        "previous_forecast_pence": None, "movement_pence": None,
    }  # fmt: skip


FORECAST = {
    "report": "forecast_outturn",
    "generated_at": "2025-10-05T09:00:00Z",
    "as_at": "2025-10-05T09:00:00Z",
    "group_by": "intervention",
    "assumptions": {
        "financial_year": "2024-25",
        "year_start": "2024-04-01",
        "year_end": "2025-03-31",
        "basis": "accrued",
        "actuals_to": "2024-09-30",
        "open_ended_to": "year_end",
        "demand_growth_bp": 0,
        "suspended": "paused",
    },
    "compared_with": None,
    "rows": [_figures("int-1", 5_000_000, 2_000_000, 3_500_000)],
    "total": _figures("total", 5_000_000, 2_000_000, 3_500_000),
}
EXCEPTIONS = {
    "/exceptions/high-cost": {
        "report": "high_cost_placements", "on": "2025-10-05", "threshold_weekly_pence": 1_000_000,
        "suppression_threshold": 5, "withheld_rows": 2, "by_category": [],
        "rows": [{
            "child_ref": "CH-1", "enrolment_id": "int-1:e1", "intervention_id": "int-1",
            "provider_id": "prv-1", "category": "residential_care", "weekly_cost_pence": 1_200_000,
            "start_date": "2024-05-01", "planned_end_date": None,
            "cost_to_year_end_pence": 30_000_000,
        }],
    },
    "/exceptions/above-ceiling": {
        "report": "prices_above_ceiling", "on": "2025-10-05",
        "rows": [{
            "intervention_id": "int-1", "provider_id": "prv-1", "category": "family_support",
            "pricing_model": "per_child_week", "unit_price_pence": 30000,
            "effective_from": "2024-04-01", "ceiling_pence": 25000, "excess_pence": 5000,
        }],
    },
    "/exceptions/paid-after-end": {
        "report": "paying_for_what_ended", "accrued_while_suspended": [],
        "invoiced_after_end": [{
            "transaction_id": "invoice-9", "invoice_number": "INV-9", "intervention_id": "int-1",
            "provider_id": "prv-1", "child_ref": "CH-2", "service_period_start": "2023-09-01",
            "service_period_end": "2023-10-31", "ended_on": "2023-09-30",
            "what_ended": "enrolment", "cost_after_end_pence": 4500,
        }],
    },
    "/exceptions/budget-run-out": {
        "report": "budgets_that_run_out", "assumptions": FORECAST["assumptions"],
        "rows": [{
            "intervention_id": "int-1", "provider_id": "prv-1", "category": "family_support",
            "budget_pence": 5_000_000, "forecast_pence": 5_500_000, "overspend_pence": 500_000,
            "run_out_month": "2025-02",
        }],
    },
}  # fmt: skip
MONTHS = {
    "closed": ["2025-08"],
    "history": [
        {"month": "2025-08", "action": "close", "sequence": 1, "by": "dev-finance",
         "at": "2025-09-03T10:00:00Z", "reason": "August reported to members"},
    ],
}  # fmt: skip


@dataclass
class FakeLedger:
    calls: Calls = field(default_factory=Calls)
    asked: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    unavailable: bool = False

    def transactions(self, **filters: Any) -> list[dict[str, Any]]:
        return [TRANSACTION]

    def transaction(self, transaction_id: str) -> dict[str, Any]:
        return TRANSACTION

    def report(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        self.asked.append((path, params))
        if self.unavailable:
            raise ApiError(503, "the service did not answer (ReadTimeout)")
        if path == "/forecast":
            return FORECAST
        return EXCEPTIONS[path]

    def download(self, path: str, params: dict[str, Any]) -> Download:
        self.asked.append((path, params))
        return Download(b"key,budget_pence\n", "text/csv", "forecast_outturn.csv")

    def saved_forecasts(self, fy: str) -> list[dict[str, Any]]:
        return []

    def save_forecast(self, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        self.calls.write("save_forecast", body)
        return {"saved_at": "2025-10-05T09:00:00Z"}

    def months(self) -> dict[str, Any]:
        return MONTHS

    def act_on_month(self, month: str, action: str, reason: str, *, key: str) -> dict[str, Any]:
        return self.calls.write("act_on_month", (month, action, reason))


@dataclass
class FakeValue:
    reports: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"cost-per-outcome": COST_PER_OUTCOME}
    )
    asked: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def report(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        self.asked.append((name, params))
        return self.reports[name]

    def download(self, name: str, params: dict[str, Any]) -> Download:
        self.asked.append((name, params))
        return Download(b"group,spend\n", "text/csv", "cost-per-outcome.csv")


def fake_backends(calls: Calls, value: FakeValue, ledger: FakeLedger | None = None) -> Backends:
    return Backends(
        commissioning=FakeCommissioning(calls),  # type: ignore[arg-type]
        outcomes=FakeOutcomes(calls),  # type: ignore[arg-type]
        ledger=ledger or FakeLedger(calls),  # type: ignore[arg-type]
        value=value,  # type: ignore[arg-type]
    )
