"""Report latency on the running stack, at whatever council is loaded (`./dev load --preset P`).

    .venv/bin/python -m bench.stack_reports [--repeats 30]

Against the value API of `./dev up` (port 8004), as finance, it times:
1. each distinct query once (every financial year the data covers, by each of the three rules
   and two groupings, cost per outcome, and a report card per year): the first answer to a query
   computes it from the read model;
2. one query asked `--repeats` times: the answer to a query already asked, while nothing changed;
3. the resident memory of the value API process (which runs the read-model consumer) afterwards.

It prints p50/p95 for both, the slowest first answers, and the machine line; nothing is written.
"""

from __future__ import annotations

import argparse
import time

import requests

from bench.common import machine, percentile, rss_mb, summary, tree
from deploy import processes, stack
from deploy.cli import dev_token

RULES = ("cost_share", "time_share", "equal_share")
GROUPINGS = ("intervention", "provider")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--first-fy", type=int, default=2020)
    parser.add_argument("--last-fy", type=int, default=2024)
    args = parser.parse_args()

    port = next(service.port for service in stack.SERVICES if service.name == "value")
    base = f"http://{stack.LOCAL_HOST}:{port}/reports"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {dev_token('finance')}"

    def timed(path: str, **params: object) -> float:
        began = time.perf_counter()
        response = session.get(f"{base}/{path}", params=params, timeout=600)
        took = time.perf_counter() - began
        response.raise_for_status()
        return took

    years = range(args.first_fy, args.last_fy + 1)
    asked = [
        (
            f"cost-per-outcome FY{fy} {rule} by {group_by}",
            timed("cost-per-outcome", fy=fy, rule=rule, group_by=group_by),
        )
        for fy in years
        for rule in RULES
        for group_by in GROUPINGS
    ]
    asked += [(f"report-card FY{fy}", timed("report-card", fy=fy)) for fy in years]
    first_answers = [took for _, took in asked]
    repeated = [timed("cost-per-outcome", fy=args.last_fy) for _ in range(args.repeats)]

    print(f"value API at {base}")
    print(
        f"first answer to each of {len(first_answers)} distinct queries (computed): "
        f"{summary(first_answers)}; max {max(first_answers) * 1000:.0f} ms"
    )
    for query, took in sorted(asked, key=lambda item: -item[1])[:4]:
        print(f"  slow: {query} {took * 1000:.0f} ms")
    print(f"the same query asked again, nothing changed: {summary(repeated)}")
    p95 = percentile(first_answers, 0.95)
    print(f"  p95 target < 200 ms: computed {'met' if p95 < 0.2 else 'MISSED'}")
    component = next(c for c in stack.service_components() if c.name == "value-api")
    pid = processes.running_pid(component.pid_file)
    if pid is not None:
        sizes = [rss_mb(p) for p in tree(pid)]
        print(f"  value-api RSS largest process {max(sizes):6.1f} MB (tree {sum(sizes):.1f})")
    print(machine())


if __name__ == "__main__":
    main()
