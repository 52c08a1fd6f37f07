"""Loading the tiny council through the running system's APIs, and loading it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploy.council import load
from deploy.demo import Acorn
from shared.auth import mint_token
from tests.support.bus import wait_until
from tests.support.identity import TEST_JWT
from tests.support.system import RunningSystem

pytestmark = pytest.mark.integration
SEED = 11


def token_for(role: str, *, provider_id: str | None = None) -> str:
    return mint_token(TEST_JWT, roles=[role], provider_id=provider_id, subject=f"council-{role}")


def everything(acorn: Acorn, service: str, path: str, role: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = acorn.call(
            "GET",
            service,
            path,
            role=role,
            params={"page": len(found) // 200 + 1, "page_size": 200},
        ).json()
        found += page["items"]
        if len(found) >= page["total"]:
            return found


def state(acorn: Acorn, truth: dict[str, Any]) -> dict[str, Any]:
    """What the system shows once the value service has consumed the whole load."""
    period = {"from": truth["period"]["from"], "to": truth["period"]["to"]}
    spend = sum(row["spend_pence"] for row in truth["interventions"].values())
    measured = truth["counts"]["children_with_baseline_and_later"]

    def settled_report() -> dict[str, Any] | None:
        report = acorn.call(
            "GET", "value", "/reports/cost-per-outcome", role="finance",
            params={**period, "basis": "invoiced", "unsuppressed": "true"},
        ).json()  # fmt: skip
        total = report["total"]
        done = (total["spend_pence"], total["children_with_baseline_and_later"]) == (
            spend,
            measured,
        )
        return report if done else None

    report = wait_until(settled_report, timeout=180, interval=0.5, what="the value report")
    return {
        "providers": everything(acorn, "commissioning", "/providers", "commissioner"),
        "interventions": everything(acorn, "commissioning", "/interventions", "commissioner"),
        "enrolments": everything(acorn, "commissioning", "/enrolments", "commissioner"),
        "reconciliation": unstamped(
            acorn.call("GET", "ledger", "/reconciliation", role="finance").json()
        ),
        "report": report,
    }


def unstamped(report: dict[str, Any]) -> dict[str, Any]:
    """A report without when it was generated and as at when: those change on every call."""
    return {k: v for k, v in report.items() if k not in ("generated_at", "as_at")}


def test_loading_tiny_twice_changes_nothing_the_second_time(
    system: RunningSystem, tmp_path: Path
) -> None:
    acorn = Acorn(urls=system.urls, token_for=token_for, timeout=90)
    truth = load.main("tiny", SEED, acorn=acorn, state_dir=tmp_path)
    first = state(acorn, truth)
    assert len(first["providers"]) == 2
    assert len(first["interventions"]) == 4
    assert len(first["enrolments"]) == truth["counts"]["enrolments"]
    assert first["reconciliation"]["transactions"] >= truth["counts"]["ledger_transactions"]
    assert first["reconciliation"]["balanced"] is True

    again = load.main("tiny", SEED, acorn=acorn, state_dir=tmp_path)
    assert again["ids"] == truth["ids"]
    assert state(acorn, truth) == first
