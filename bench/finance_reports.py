"""Finance's reports on the `default` synthetic council: forecast outturn and high-cost placements.

    .venv/bin/python -m bench.finance_reports [--preset default] [--keep] [--reuse] [--repeats 20]

Starts a whole system of its own (databases, topics and ports of this run; port offset 13,100),
loads the preset through the APIs as `./dev load` does (~8-15 minutes at `default`), then, against
the ledger API as finance, times:

1. the first report after the API started (it reads every transaction and revision: the facts
   cache is empty);
2. the forecast outturn for the financial year after the data's last month, as at its start
   (`actuals_to` the day before; open-ended placements run to the year end), asked `--repeats`
   times, by intervention and by category;
3. the high-cost placements list on the first day of that year, `--repeats` times, at the
   default £10,000 a week and at £1,000 (unsuppressed, so the list is long);
4. the forecast again right after one invoice is posted (the cache reads only what is new).

`--keep` leaves the run's databases and topics (and its secret in `.state/bench/`) for `--reuse`,
which measures again with the current code without loading; the last run without `--keep` removes
them. Prints p50/p95 per query and the machine line.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import requests

from bench.common import System, machine, percentile, running_system, summary
from deploy import demo
from deploy.council import load
from deploy.council.generate import DEFAULT_SEED
from deploy.paths import STATE_DIR

PORT_OFFSET = 13_100
TARGET_SECONDS = 0.5
STATE_FILE = STATE_DIR / "bench" / "finance_reports.json"


def acorn_of(system: System) -> demo.Acorn:
    def token_for(role: str, *, provider_id: str | None = None) -> str:
        return system.token(role, provider_id)

    return demo.Acorn(urls=system.urls, token_for=token_for, timeout=600)


def timed(session: requests.Session, url: str, **params: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    response = session.get(url, params=params, timeout=600)
    took = time.perf_counter() - began
    response.raise_for_status()
    return took, response.json()


def following_year(months: list[str]) -> int:
    """The financial year (by its first calendar year) after the data's last month."""
    last = date.fromisoformat(f"{max(months)}-01")
    after = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return after.year if after.month >= 4 else after.year - 1


def measure(system: System, repeats: int) -> None:
    base = system.urls["ledger"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {system.token('finance')}"

    first, by_month = timed(session, f"{base}/spend", group_by="month", basis="invoiced")
    fy = following_year([row["key"] for row in by_month["rows"]])
    print(f"first report after start (reads every fact): {first * 1000:.0f} ms")
    print(f"data's last month {max(r['key'] for r in by_month['rows'])}: forecast for FY {fy}")

    # as at the month end after the data: nothing of the year is actual yet
    forecast_params = {"fy": fy, "actuals_to": f"{fy}-03-31"}
    results: dict[str, list[float]] = {}
    answers: dict[str, Any] = {}
    queries = {
        "forecast by intervention": ("/forecast", forecast_params),
        "forecast by category": ("/forecast", {**forecast_params, "group_by": "category"}),
        "high-cost placements": ("/exceptions/high-cost", {"on": f"{fy}-04-01"}),
        "high-cost at £1,000 a week": (
            "/exceptions/high-cost",
            {"on": f"{fy}-04-01", "threshold_pence": 100_000, "unsuppressed": "true"},
        ),
    }
    for name, (path, params) in queries.items():
        samples = []
        for _ in range(repeats):
            took, answers[name] = timed(session, f"{base}{path}", **params)
            samples.append(took)
        results[name] = samples

    forecast = answers["forecast by intervention"]
    total = forecast["total"]
    print(
        f"forecast FY {fy}: {len(forecast['rows'])} interventions, budget "
        f"{total['budget_pence']} p, committed {total['committed_pence']} p, "
        f"forecast {total['forecast_pence']} p"
    )
    for name in ("high-cost placements", "high-cost at £1,000 a week"):
        high = answers[name]
        print(
            f"{name} on {fy}-04-01: {len(high['rows'])} shown, "
            f"{high['withheld_rows']} withheld (small numbers)"
        )
    for name, samples in results.items():
        verdict = "met" if percentile(samples, 0.95) < TARGET_SECONDS else "MISSED"
        print(f"  {name:<28} {summary(samples)}   p95 < 500 ms: {verdict}")

    intervention = forecast["rows"][0]["key"]
    invoice = {
        "kind": "invoice",
        "intervention_id": intervention,
        "invoice_number": f"BENCH-{system.run}-{time.time_ns()}",
        "description": "bench: one invoice",
        "lines": [
            {
                "child_ref": None,
                "service_period_start": f"{fy}-04-01",
                "service_period_end": f"{fy}-04-30",
                "amount": 100,
            }
        ],
    }
    posted = session.post(f"{base}/transactions", json=invoice, headers=system.headers("finance"))
    posted.raise_for_status()
    after, _ = timed(session, f"{base}/forecast", **forecast_params)
    print(f"forecast right after one posting (reads what the journal names): {after * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep databases and topics")
    parser.add_argument("--reuse", action="store_true", help="measure the kept run again")
    args = parser.parse_args()

    kept: dict[str, str] = json.loads(STATE_FILE.read_text()) if args.reuse else {}
    with running_system(
        PORT_OFFSET, run=kept.get("run"), jwt_secret=kept.get("secret"), keep=args.keep
    ) as system:
        if args.keep:
            STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
            STATE_FILE.write_text(json.dumps({"run": system.run, "secret": system.jwt.secret}))
        if not args.reuse:
            began = time.monotonic()
            load.main(args.preset, DEFAULT_SEED, acorn=acorn_of(system), state_dir=Path(STATE_DIR))
            print(f"loaded the {args.preset} council in {time.monotonic() - began:.0f} s")
        measure(system, args.repeats)
    print(machine())


if __name__ == "__main__":
    main()
