"""Report latency at scale, against pandas computing the same figures from a CSV export.

    .venv/bin/python -m bench.report_scale [--children 1000] [--requests 20] [--pandas-runs 1]

(as a module from the repository root: it uses the value tests' seeded generator and their
independent pandas computation, tests/value/generator.py and tests/value/oracle.py)

It generates a council of `--children` children, loads its events into a value read model of its
own (DuckDB, in memory), serves the value API over real HTTP (werkzeug, one thread) and times
cost-per-outcome for FY 2024 (per intervention, invoiced, unsuppressed): the first (cold)
request, then p50/p95 of `--requests` more. It writes the raw events to a CSV file (one row per
event, payload as JSON), then times pandas reading that CSV and computing the same figures with
the tests' oracle, and checks that every intervention's spend (pence), children, better-off and
worse-off are identical.

Loading: the events go through the read model's own batch path (`ReadModel.apply_batch`, 5,000
events a call, as the consumer applies a poll), so the load rate printed is the consumer's without
Kafka. The comparison with pandas proves the load is faithful. The "largest preset" (1.65M
observations) is not feasible here; the size measured is printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from datetime import date
from fractions import Fraction
from typing import Any

import pandas as pd
import requests
from werkzeug.serving import make_server

from bench.common import machine, mongodb_uri, percentile, run_id, summary
from services.value.adapters.readmodel import ReadModel
from services.value.adapters.store import FactStore
from services.value.domain.presentation import fixed_point
from services.value.entrypoints.api import create_service_app_for
from services.value.entrypoints.consumer import MAX_POLL_RECORDS
from services.value.settings import EXTRAS
from shared.auth import JwtSettings, mint_token
from shared.config import ServiceSettings
from shared.events.envelope import Envelope
from shared.money import round_pence
from shared.mongo import connect
from shared.runtime import ServiceRuntime
from tests.value.generator import generate
from tests.value.oracle import oracle

START, END = date(2024, 4, 1), date(2025, 3, 31)


def load(model: ReadModel, events: list[Envelope]) -> None:
    for first in range(0, len(events), MAX_POLL_RECORDS):
        model.apply_batch(events[first : first + MAX_POLL_RECORDS])


def export_csv(events: list[Envelope], path: str) -> None:
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["event", "type", "data"])
        for event in events:
            raw = event.to_dict()
            writer.writerow([raw["id"], raw["type"], json.dumps(raw)])


def pandas_from_csv(path: str) -> dict[str, dict[str, Any]]:
    frame = pd.read_csv(path)
    events = [Envelope.from_dict(json.loads(text)) for text in frame["data"]]
    return oracle(events, start=START, end=END, basis="invoiced")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--pandas-runs", type=int, default=1)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    run = run_id()
    database = f"bench_value_scale_{run}"
    jwt = JwtSettings("HS256", "acorn-bench", "acorn", secret=secrets.token_urlsafe(48))
    env = {
        "MONGODB_URI": mongodb_uri(),
        "KAFKA_BOOTSTRAP_SERVERS": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        "ACORN_VALUE_DB": database,
        "ACORN_JWT_SECRET": jwt.secret or "",
        "ACORN_JWT_ISSUER": jwt.issuer,
        "ACORN_JWT_AUDIENCE": jwt.audience,
        "ACORN_LOG_LEVEL": "WARNING",
    }
    council = generate(children=args.children, seed=6)
    events = [e for topic in council.values() for e in topic]
    observations = sum(1 for e in events if e.type.endswith("observation_recorded"))
    print(
        f"size: {args.children:,} children, {len(events):,} events, {observations:,} observations "
        "(the largest preset, 2M observations, is not loaded here)"
    )
    client = connect(env["MONGODB_URI"])
    store = FactStore()
    with tempfile.NamedTemporaryFile(prefix=f"bench_{run}_", suffix=".csv", delete=False) as file:
        path = file.name
    server = None
    try:
        began = time.perf_counter()
        model = ReadModel(store)
        load(model, events)
        took = time.perf_counter() - began
        print(f"loaded the read model in {took:.1f} s ({len(events) / took:,.0f} events/s)")

        settings = ServiceSettings.from_env("value", extras=EXTRAS, environ=env)
        app = create_service_app_for(ServiceRuntime.connect(settings), settings, model)
        server = make_server("127.0.0.1", 0, app, threaded=False)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/reports/cost-per-outcome"
        token = mint_token(jwt, roles=["finance"], subject="bench")
        session = requests.Session()
        params = {
            "from": START.isoformat(),
            "to": END.isoformat(),
            "basis": "invoiced",
            "group_by": "intervention",
            "unsuppressed": "true",
        }

        def get() -> dict[str, Any]:
            response = session.get(
                url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=300
            )
            response.raise_for_status()
            return response.json()

        started = time.perf_counter()
        report = get()
        cold = time.perf_counter() - started
        latencies = []
        for _ in range(args.requests):
            started = time.perf_counter()
            get()
            latencies.append(time.perf_counter() - started)
        session.close()
        print(f"report over HTTP, cold (loads the read model): {cold * 1000:8.1f} ms")
        print(f"report over HTTP, warm cost-per-outcome FY2024: {summary(latencies)}")

        export_csv(events, path)
        print(f"CSV export: {os.path.getsize(path) / 1e6:.1f} MB")
        pandas_times = []
        for _ in range(args.pandas_runs):
            started = time.perf_counter()
            expected = pandas_from_csv(path)
            pandas_times.append(time.perf_counter() - started)
        pandas_time = min(pandas_times)
        print(f"pandas from CSV (read + tests/value/oracle.py): {pandas_time:8.2f} s")
        for label, share in (("p50", 0.5), ("p95", 0.95)):
            figure = percentile(latencies, share)
            print(f"  pandas / report {label}: {pandas_time / figure:8.1f}x faster over HTTP")
        print(f"  pandas / cold report: {pandas_time / cold:8.1f}x")

        rows = {row["group"]: row for row in report["rows"]}
        problems = []
        if sorted(rows) != sorted(expected):
            problems.append(f"groups differ: {sorted(rows)} vs {sorted(expected)}")
        for k, want in expected.items():
            got = rows.get(k)
            if got is None:
                continue
            pairs = {
                "spend_pence": (got["spend_pence"], round_pence(want["spend"])),
                "children_served": (str(got["children_served"]), str(len(want["children"]))),
                "child_weeks": (
                    got["child_weeks"],
                    fixed_point(Fraction(want["child_days"], 7), 2),
                ),
                "better_off": (got["better_off"], fixed_point(want["better_off"], 3)),
                "worse_off": (got.get("worse_off"), fixed_point(want["worse_off"], 3)),
            }
            problems += [f"{k} {f}: {a!r} != {b!r}" for f, (a, b) in pairs.items() if a != b]
        print(
            "report figures identical to pandas: "
            + ("yes" if not problems else "NO\n  " + "\n  ".join(problems))
        )
    finally:
        if server is not None:
            server.shutdown()
        store.close()
        client.drop_database(database)
        client.close()
        if os.path.exists(path):
            os.remove(path)
    print(f"run {run}; {machine()}")


if __name__ == "__main__":
    main()
