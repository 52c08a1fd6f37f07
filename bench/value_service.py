"""The value service alone on a captured council: replay, report latency, restart, memory.

    .venv/bin/python -m bench.value_service --events EVENTS.jsonl.gz [--port-offset 21000]

(events captured by `bench.compare_reports capture --preset P`.) It publishes the events on topics
of its own and starts the value API as a process (gunicorn, as deployed) with its DuckDB file in a
temporary directory, then prints:
1. replay: events/s from starting the process until its read model has caught up (the consumer's
   rate from Kafka into DuckDB, with the process's start);
2. the first answer to each of the 35 distinct queries of bench.stack_reports (each financial year
   the events cover by each rule and two groupings, and a report card per year), p50/p95;
3. the resident memory of the process after them;
4. the process stopped and started again on the same file: the time until it is ready, the first
   report after that, and its memory then.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import requests

from bench.common import machine, percentile, rss_mb, summary, tree
from bench.compare_reports import financial_years, value_service
from deploy import processes
from shared.auth import mint_token

RULES = ("cost_share", "time_share", "equal_share")
GROUPINGS = ("intervention", "provider")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--port-offset", type=int, default=21_000)
    args = parser.parse_args()
    years = financial_years(args.events)
    with tempfile.TemporaryDirectory() as state:
        database = {"ACORN_VALUE_DATABASE_FILE": str(Path(state) / "value.duckdb")}
        with value_service(args.port_offset, args.events, database) as service:
            print(
                f"replay into DuckDB: {service.events:,} events in {service.caught_up_in:.1f} s "
                f"({service.events / service.caught_up_in:,.0f} events/s, process start included)"
            )
            session = requests.Session()
            token = mint_token(service.jwt, roles=["finance"], subject="bench")
            session.headers["Authorization"] = f"Bearer {token}"

            def timed(path: str, **params: object) -> float:
                began = time.perf_counter()
                response = session.get(f"{service.url}/reports/{path}", params=params, timeout=600)
                took = time.perf_counter() - began
                response.raise_for_status()
                return took

            asked = [
                timed("cost-per-outcome", fy=fy, rule=rule, group_by=group_by)
                for fy in years
                for rule in RULES
                for group_by in GROUPINGS
            ]
            asked += [timed("report-card", fy=fy) for fy in years]
            print(
                f"first answer to each of {len(asked)} distinct queries: {summary(asked)}; "
                f"first of all {asked[0] * 1000:.0f} ms, max {max(asked) * 1000:.0f} ms"
            )
            print(f"  p95 without the first: {percentile(asked[1:], 0.95) * 1000:.1f} ms")
            pid = processes.running_pid(service.component.pid_file)
            assert pid is not None
            print(f"value API RSS after them: {sum(rss_mb(p) for p in tree(pid)):.1f} MB")

            processes.stop(service.component.pid_file)
            began = time.perf_counter()
            processes.start(service.component)
            processes.wait_ready(service.component)
            ready = time.perf_counter() - began
            first = timed("cost-per-outcome", fy=years[-1])
            print(
                f"restart on the same file: ready (caught up) after {ready:.1f} s, "
                f"then the first report in {first * 1000:.0f} ms"
            )
            pid = processes.running_pid(service.component.pid_file)
            assert pid is not None
            rss = sum(rss_mb(p) for p in tree(pid))
            print(f"value API RSS after the restart's report: {rss:.1f} MB")
            session.close()
    print(machine())


if __name__ == "__main__":
    main()
