"""How close does each attribution rule come to the truth? `./dev judge --preset tiny|demo`.

For every intervention the value service's cost per better-off outcome (finance, invoiced basis,
unsuppressed, over the generated period) is compared with the ground truth's two figures:
- **causal**: spend / better-off outcomes the intervention truly caused (without its effect, and
  with the same noise, the child would not have been better off);
- **oracle**: spend / the better-off outcomes the method sees, shared by each intervention's true
  contribution to the change (what a perfect attribution rule would give the method).
The error is (reported - true) / true; the table shows its median, its 90th percentile of the
absolute value, and the median signed error (the bias: negative means the rule reports outcomes
cheaper than they truly were).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from deploy.council import load
from deploy.council.generate import Council
from deploy.demo import Acorn, DemoError

RULES = ("cost_share", "time_share", "equal_share")
# A report over the whole load is computed from every fact: at the largest preset that took
# minutes in a freshly started value API (loading the read model, then the method).
REPORT_TIMEOUT_S = 900


def report(acorn: Acorn, truth: dict[str, Any], rule: str) -> dict[str, Any]:
    """The value report once it shows the whole load's spend."""
    spend = sum(row["spend_pence"] for row in truth["interventions"].values())
    deadline = time.monotonic() + acorn.timeout
    while True:
        response = acorn.call(
            "GET", "value", "/reports/cost-per-outcome", role="finance",
            params={**truth["period"], "basis": "invoiced", "group_by": "intervention",
                    "rule": rule, "unsuppressed": "true"},
            timeout=REPORT_TIMEOUT_S,
        )  # fmt: skip
        if response.ok and response.json()["total"]["spend_pence"] >= spend:
            return response.json()
        if time.monotonic() > deadline:
            raise DemoError(f"the value report did not settle: {response.status_code}")
        time.sleep(1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def errors(truth: dict[str, Any], rows: dict[str, dict[str, Any]], basis: str) -> list[float]:
    found = []
    for key, true in truth["interventions"].items():
        row = rows.get(truth["ids"]["interventions"][key])
        if basis == "causal":
            expected = true["true_cost_per_better_off_pence"]
        else:
            oracle = true["oracle_better_off"]
            expected = true["spend_pence"] / oracle if oracle else None
        reported = row and row["cost_per_better_off_pence"]
        if expected and reported:
            found.append((reported - expected) / expected)
    return found


def judge(acorn: Acorn, truth: dict[str, Any]) -> list[dict[str, Any]]:
    results = []
    for rule in RULES:
        rows = {row["group"]: row for row in report(acorn, truth, rule)["rows"]}
        spend_matches = sum(
            rows.get(truth["ids"]["interventions"][key], {}).get("spend_pence", 0)
            == t["spend_pence"]
            for key, t in truth["interventions"].items()
        )
        for basis in ("causal", "oracle"):
            found = errors(truth, rows, basis)
            results.append(
                {
                    "rule": rule,
                    "against": basis,
                    "compared": len(found),
                    "of": len(truth["interventions"]),
                    "spend_matches": spend_matches,
                    "median_abs": percentile([abs(e) for e in found], 0.5) if found else None,
                    "p90_abs": percentile([abs(e) for e in found], 0.9) if found else None,
                    "median_signed": percentile(found, 0.5) if found else None,
                }
            )
    return results


def print_results(truth: dict[str, Any], results: list[dict[str, Any]]) -> None:
    period = truth["period"]
    print(
        f"\nCost per better-off outcome against the ground truth: {truth['preset']} council, "
        f"seed {truth['seed']}, {period['from']} to {period['to']}\n"
    )
    heading = ("rule", "truth", "compared", "median |err|", "p90 |err|", "bias", "spend ok")
    print("  {:<13}{:<8}{:>10}{:>14}{:>11}{:>9}{:>10}".format(*heading))

    def pct(value: float | None, sign: str = "") -> str:
        return "-" if value is None else f"{100 * value:{sign}.0f}%"

    for r in results:
        print(
            f"  {r['rule']:<13}{r['against']:<8}{r['compared']:>6}/{r['of']:<3}"
            f"{pct(r['median_abs']):>14}{pct(r['p90_abs']):>11}{pct(r['median_signed'], '+'):>9}"
            f"{r['spend_matches']:>6}/{r['of']:<3}"
        )


def main(preset: str, seed: int, *, acorn: Acorn, state_dir: Path) -> int:
    """Judge a loaded council (loading it first, idempotently, if this machine has no record)."""
    path = load.truth_file(state_dir, Council(preset, seed))
    if path.exists():
        truth = json.loads(path.read_text())
    else:
        truth = load.main(preset, seed, acorn=acorn, state_dir=state_dir)
    print_results(truth, judge(acorn, truth))
    return 0
