"""Freshness under background load: from posting to visible in a value report, end to end.

    .venv/bin/python -m bench.freshness [--rate 1000] [--samples 20] [--children 200]

It starts a whole isolated system as processes (bench.common.running_system: four gunicorn APIs,
relays and consumers on ports 28001-28004 with databases and topics of its own), enrols
`--children` children through the commissioning API, then a background thread posts observations
to the outcomes batch endpoint at `--rate` per second (batches of `--batch`) while the probe, every
`--interval` seconds, posts a one-line invoice through the ledger API and polls the value
service's cost-per-outcome report over HTTP until its spend shows the invoice's pence. The probe
travels ledger API -> outbox -> relay -> Kafka -> value consumer (the same consumer the
observations load) -> read model -> report, so each sample includes the report's own latency.

It prints p50/p95/p99 freshness, the background rate achieved over HTTP, and how far the value
read model was behind the posted observations at the end. Everything is removed at the end.
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import UTC, datetime, timedelta

import requests

from bench.common import (
    RssSampler,
    machine,
    observation_row,
    percentile,
    running_system,
    set_up_council,
    summary,
    value_facts,
)

PROBE_PENCE = 1_234


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000, help="background observations/s")
    parser.add_argument("--batch", type=int, default=100, help="observations per background post")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between probes")
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--warm-up", type=float, default=5.0, help="seconds of load before probes")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up on one probe after")
    parser.add_argument("--port-offset", type=int, default=20_000)
    args = parser.parse_args()

    with running_system(args.port_offset) as system:
        council = set_up_council(system, args.children)
        today = datetime.now(UTC).date()
        period = {"from": (today - timedelta(days=60)).isoformat(), "to": today.isoformat()}
        line_period = ((today - timedelta(days=40)).isoformat(), (today - timedelta(days=35)))
        ledger = f"{system.urls['ledger']}/transactions"
        report = f"{system.urls['value']}/reports/cost-per-outcome"
        reader = requests.Session()
        finance = {"Authorization": f"Bearer {system.token('finance')}"}

        def spend() -> int:
            response = reader.get(
                report,
                params={**period, "basis": "invoiced", "unsuppressed": "true"},
                headers=finance,
                timeout=120,
            )
            response.raise_for_status()
            return int(response.json()["total"]["spend_pence"])

        def invoice(n: int) -> dict[str, object]:
            return {
                "kind": "invoice",
                "intervention_id": council.intervention_id,
                "invoice_number": f"BENCH-{n:05d}",
                "description": "bench freshness probe",
                "lines": [
                    {
                        "child_ref": council.children[0],
                        "service_period_start": line_period[0],
                        "service_period_end": line_period[1].isoformat(),
                        "amount": f"{PROBE_PENCE // 100}.{PROBE_PENCE % 100:02d}",
                    }
                ],
            }

        def post_invoice(n: int, *, retry_for: float = 0.0) -> None:
            deadline = time.monotonic() + retry_for
            while True:
                response = requests.post(
                    ledger, json=invoice(n), headers=system.headers("finance"), timeout=60
                )
                if response.ok:
                    return
                if time.monotonic() > deadline:
                    raise SystemExit(f"invoice refused: {response.status_code} {response.text}")
                time.sleep(0.3)

        # the ledger learns the intervention from Kafka; the first invoice waits for that
        before = spend()
        post_invoice(0, retry_for=120)
        wait_for(lambda: spend() == before + PROBE_PENCE, 120)

        stop = threading.Event()
        posted = [0]
        load_began = [0.0]

        def load() -> None:
            session = requests.Session()
            url = f"{system.urls['outcomes']}/observations/batch"
            index = 0
            load_began[0] = time.perf_counter()
            while not stop.is_set():
                rows = [observation_row(council, index + i) for i in range(args.batch)]
                index += args.batch
                response = session.post(
                    url,
                    json={"observations": rows},
                    headers=system.headers("provider", council.provider_id),
                    timeout=120,
                )
                response.raise_for_status()
                posted[0] += response.json()["recorded"]
                # pace to the target rate; if the system is slower, post back to back
                ahead = load_began[0] + posted[0] / args.rate - time.perf_counter()
                if ahead > 0:
                    stop.wait(ahead)
            session.close()

        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        time.sleep(args.warm_up)
        samples: list[float] = []
        missed = 0
        rss = RssSampler(system.pids()).__enter__()
        try:
            for n in range(1, args.samples + 1):
                before = spend()
                sent = time.perf_counter()
                post_invoice(n)
                if wait_for(lambda b=before: spend() >= b + PROBE_PENCE, args.timeout):
                    samples.append(time.perf_counter() - sent)
                else:
                    missed += 1
                time.sleep(max(0.0, args.interval - (time.perf_counter() - sent)))
        finally:
            stop.set()
            loader.join(timeout=120)
            rss.__exit__()
        load_seconds = time.perf_counter() - load_began[0]
        in_model = value_facts(system, "observations")
        reader.close()

        achieved = posted[0] / load_seconds
        print(
            f"background load: {posted[0]:,} observations posted in {load_seconds:.1f} s = "
            f"{achieved:,.0f} obs/s over HTTP (target {args.rate:,.0f}/s, batches of {args.batch})"
        )
        print(
            f"value read model at the end held {in_model:,} of them "
            f"({in_model / load_seconds:,.0f} obs/s kept up; backlog {posted[0] - in_model:,})"
        )
        if samples:
            print(
                "freshness (invoice POST -> visible in cost-per-outcome): "
                f"{summary(samples, (0.5, 0.95, 0.99))}"
            )
            print(
                f"  max {max(samples):.2f} s; p99 target < 2 s: "
                f"{'met' if percentile(samples, 0.99) < 2 else 'MISSED'}"
            )
        if missed:
            print(
                f"  {missed} probe(s) not visible within {args.timeout:.0f} s (not in the figures)"
            )
        print("resident memory under load (max while probing; reports polled):")
        for line in rss.report():
            print(line)
    print(f"run {system.run}; {machine()}")


def wait_for(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


if __name__ == "__main__":
    main()
