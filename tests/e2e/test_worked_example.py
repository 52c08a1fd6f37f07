"""The worked example of the reference value method, through the real services' APIs and Kafka.

Four gunicorn APIs, three relays and three consumers run as processes; the test only speaks HTTP.
The figures are domain.md's, to the penny.
"""

from __future__ import annotations

from typing import Any

import pytest

from deploy.demo import Acorn, run_worked_example
from shared.auth import mint_token
from tests.support.identity import TEST_JWT
from tests.support.system import RunningSystem

pytestmark = pytest.mark.integration


def token_for(role: str, *, provider_id: str | None = None) -> str:
    return mint_token(TEST_JWT, roles=[role], provider_id=provider_id, subject=f"e2e-{role}")


@pytest.fixture(scope="module")
def report(system: RunningSystem) -> dict[str, Any]:
    return run_worked_example(Acorn(urls=system.urls, token_for=token_for, timeout=90))


def test_each_intervention_costs_4800_per_better_off_outcome(report: dict[str, Any]) -> None:
    rows = {row["group"]: row for row in report["rows"]}
    a, b = (rows[report["interventions"][name]] for name in ("A", "B"))
    assert (a["spend"], a["better_off"], a["cost_per_better_off"]) == (
        "£1,200.00",
        "0.250",
        "£4,800.00",
    )
    assert (b["spend"], b["better_off"], b["cost_per_better_off"]) == (
        "£3,600.00",
        "0.750",
        "£4,800.00",
    )


def test_across_both_one_child_better_off_for_4800(report: dict[str, Any]) -> None:
    total = report["total"]
    assert total["spend_pence"] == 480_000
    assert (total["better_off"], total["cost_per_better_off"]) == ("1.000", "£4,800.00")
    assert total["better_off_per_1000"] == "0.208"
    assert total["unallocated_spend_pence"] == 0


def test_open_enrolments_run_to_their_interventions_end(
    system: RunningSystem, report: dict[str, Any]
) -> None:
    """Never explicitly ended, the child is enrolled 6 Jan to 30 Mar (the interventions' end):
    12 weeks on each, even in a report whose period runs on to 31 March."""
    acorn = Acorn(urls=system.urls, token_for=token_for)
    year = acorn.call(
        "GET", "value", "/reports/cost-per-outcome", role="finance",
        params={"fy": 2024, "group_by": "intervention", "unsuppressed": "true"},
    ).json()  # fmt: skip
    weeks = {row["group"]: row["child_weeks"] for row in year["rows"]}
    assert [weeks[report["interventions"][name]] for name in ("A", "B")] == ["12.00", "12.00"]


def test_running_the_example_again_changes_nothing(
    system: RunningSystem, report: dict[str, Any]
) -> None:
    again = run_worked_example(Acorn(urls=system.urls, token_for=token_for, timeout=90))
    assert again["interventions"] == report["interventions"]
    assert again["total"]["spend_pence"] == 480_000
