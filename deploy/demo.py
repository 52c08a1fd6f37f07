"""The worked example of docs and domain: one child, two interventions, through the real APIs.

`./dev up` runs it to show the system working end to end: a commissioner registers a provider,
commissions two interventions and enrols a child; the provider posts the child's attendance;
finance posts the invoices; the value service, fed only by Kafka, prints cost per better-off
outcome. The end-to-end test runs the same steps and checks the figures to the penny.

Every write carries a deterministic Idempotency-Key, so running it again changes nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from shared.money import parse_pence

CHILD = "demo-child-C1"
PERIOD = {"from": "2025-01-06", "to": "2025-03-30"}
INTERVENTIONS = {
    "A": {"title": "Attendance mentoring", "category": "education_support", "pence": 10_000},
    "B": {"title": "Intensive family support", "category": "family_support", "pence": 30_000},
}
INVOICES = {"A": "1200.00", "B": "3600.00"}

TokenFor = Callable[..., str]


class DemoError(RuntimeError):
    """A step of the demo was refused or did not settle in time."""


@dataclass
class Acorn:
    """A thin HTTP client for the four services, acting as one user at a time."""

    urls: dict[str, str]
    token_for: TokenFor
    timeout: float = 60.0
    # one keep-alive session per thread (the loader calls from several): a new connection for
    # every request cost more than many of the requests themselves
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        role: str,
        key: str | None = None,
        provider_id: str | None = None,
        etag: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token_for(role, provider_id=provider_id)}"}
        if key:
            headers["Idempotency-Key"] = f"demo-{key}"
        if etag:
            headers["If-Match"] = etag
        kwargs.setdefault("timeout", 30)
        return self._session.request(method, self.urls[service] + path, headers=headers, **kwargs)

    def write(self, service: str, path: str, *, role: str, key: str, **kwargs: Any) -> Any:
        """POST until accepted: a refusal caused by an event not yet consumed is retried."""
        deadline = time.monotonic() + self.timeout
        while True:
            response = self.call("POST", service, path, role=role, key=key, **kwargs)
            if response.ok:
                return response
            if time.monotonic() > deadline:
                raise DemoError(f"{service} {path}: {response.status_code} {response.text}")
            time.sleep(0.3)


def run_worked_example(acorn: Acorn) -> dict[str, Any]:
    """Drive the worked example through the APIs; return the value service's report."""
    provider = acorn.write(
        "commissioning",
        "/providers",
        role="commissioner",
        key="provider",
        json={"name": "Oak Tree Family Services", "kind": "voluntary"},
    ).json()["provider_id"]
    interventions = {}
    for name, terms in INTERVENTIONS.items():
        created = acorn.write(
            "commissioning",
            "/interventions",
            role="commissioner",
            key=f"intervention-{name}",
            json={
                "provider_id": provider,
                "title": terms["title"],
                "category": terms["category"],
                "pricing_model": "per_child_week",
                "unit_price_pence": terms["pence"],
                "capacity": 10,
                "start_date": PERIOD["from"],
                "end_date": PERIOD["to"],
                "budget_pence": 1_000_000,
                "target_indicators": ["school_attendance"],
            },
        )
        intervention = created.json()["intervention_id"]
        interventions[name] = intervention
        acorn.write(
            "commissioning",
            f"/interventions/{intervention}/activate",
            role="commissioner",
            key=f"activate-{name}",
            etag=created.headers["ETag"],
            json={"effective_date": PERIOD["from"]},
        )
        acorn.write(
            "commissioning",
            f"/interventions/{intervention}/enrolments",
            role="commissioner",
            key=f"enrol-{name}",
            json={"child_ref": CHILD, "start_date": PERIOD["from"]},
        )
    for key, (value, observed_on) in {
        "baseline": (80, "2025-01-03"),
        "latest": (92, "2025-03-28"),
    }.items():
        acorn.write(
            "outcomes",
            "/observations",
            role="provider",
            provider_id=provider,
            key=f"observation-{key}",
            json={
                "child_ref": CHILD,
                "indicator_code": "school_attendance",
                "value": value,
                "observed_on": observed_on,
            },
        )
    for name, amount in INVOICES.items():
        acorn.write(
            "ledger",
            "/transactions",
            role="finance",
            key=f"invoice-{name}",
            json={
                "kind": "invoice",
                "intervention_id": interventions[name],
                "invoice_number": f"OAK-2025-{name}",
                "description": f"Oak Tree invoice for {INTERVENTIONS[name]['title']}, Q4",
                "lines": [
                    {
                        "child_ref": CHILD,
                        "service_period_start": PERIOD["from"],
                        "service_period_end": PERIOD["to"],
                        "amount": amount,
                    }
                ],
            },
        )
    return _settled_report(acorn, interventions)


def _settled_report(acorn: Acorn, interventions: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + acorn.timeout
    while True:
        response = acorn.call(
            "GET",
            "value",
            "/reports/cost-per-outcome",
            role="finance",
            params={
                **PERIOD,
                "basis": "invoiced",
                "group_by": "intervention",
                "unsuppressed": "true",
            },
        )
        if response.ok:
            report = response.json()
            groups = {row["group"] for row in report["rows"]}
            invoiced = sum(parse_pence(amount) for amount in INVOICES.values())
            # every fact in: the value service learns the ledger's and the outcomes' events from
            # different topics, so the invoices can be in before the observations
            settled = (
                set(interventions.values()) <= groups
                and report["total"]["spend_pence"] == invoiced
                and report["total"]["children_with_baseline_and_later"] == 1
            )
            if settled:
                report["interventions"] = interventions
                return report
        if time.monotonic() > deadline:
            raise DemoError(
                f"the value report did not settle: {response.status_code} {response.text}"
            )
        time.sleep(0.5)


def print_report(report: dict[str, Any]) -> None:
    names = {id_: name for name, id_ in report["interventions"].items()}
    print("\nCost per better-off outcome, 6 Jan - 30 Mar 2025 (invoiced basis):\n")
    print(f"  {'intervention':<28}{'spend':>12}{'better off':>12}{'cost per better off':>22}")
    for row in [*report["rows"], report["total"]]:
        label = f"{names.get(row['group'], '')} {row['label']}".strip()
        print(
            f"  {label[:27]:<28}{row['spend']:>12}{row['better_off']:>12}"
            f"{row['cost_per_better_off']:>22}"
        )
