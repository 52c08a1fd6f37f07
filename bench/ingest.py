"""Bulk ingest end to end: observations through the HTTP batch endpoint into the value read model.

    .venv/bin/python -m bench.ingest [--children 200] [--batches 10] [--batch-size 1000]
                                     [--no-replay] [--no-floors]

In one run it measures:
1. the raw floors (bench.raw_floors: Kafka produce/consume, pymongo insert_many/insert_one);
2. a whole isolated system as processes (four gunicorn APIs, three relays, three consumers, the
   project's own deploy/stack.py) on ports 28001-28004, with databases, topics and consumer groups
   of this run's own; a provider, an intervention and `--children` enrolments made through the
   commissioning API; then `--batches` batches of observations posted to the outcomes batch
   endpoint, timed from the first post until the last observation is in the value read model
   (events/s), with the ratio to the slower raw floor and when each stage finished;
3. the resident memory (RSS from /proc) of every process, sampled during the ingest;
4. a replay of the value read model from Kafka (services/value/entrypoints/replay.py) into a
   DuckDB database of its own in memory, over everything the run published (events/s).

Everything created is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench import raw_floors
from bench.common import (
    RssSampler,
    machine,
    observation_row,
    running_system,
    set_up_council,
    value_facts,
)
from services.value import settings as value_settings
from services.value.adapters.readmodel import ReadModel
from services.value.adapters.store import FactStore
from services.value.entrypoints.replay import replay
from shared.config import ServiceSettings
from shared.mongo import connect
from shared.outbox import PENDING_COLLECTION


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--concurrency", type=int, default=2, help="batches in flight (providers posting at once)"
    )
    parser.add_argument("--timeout", type=float, default=240, help="seconds to wait for the model")
    parser.add_argument("--no-replay", action="store_true")
    parser.add_argument("--no-floors", action="store_true")
    parser.add_argument("--port-offset", type=int, default=20_000)
    args = parser.parse_args()

    floors = None if args.no_floors else raw_floors.measure(30_000, 10_000, 1_000)
    with running_system(args.port_offset) as system:
        started_system = time.perf_counter()
        council = set_up_council(system, args.children)
        print(
            f"set-up: {args.children} enrolments through the commissioning API and learnt by "
            f"outcomes in {time.perf_counter() - started_system:.1f} s"
        )
        client = connect(system.env["MONGODB_URI"])
        outcomes_db = client[system.databases["ACORN_OUTCOMES_DB"]]
        total = args.batches * args.batch_size
        expected = total + 1  # + the probe set_up_council posted
        url = f"{system.urls['outcomes']}/observations/batch"
        # Bodies are built before the clock starts: making test data is not the system's work.
        bodies = [
            json.dumps(
                {
                    "observations": [
                        observation_row(council, n)
                        for n in range(batch * args.batch_size, (batch + 1) * args.batch_size)
                    ]
                }
            )
            for batch in range(args.batches)
        ]
        local = threading.local()

        def post(batch: int) -> None:
            if not hasattr(local, "session"):
                local.session = requests.Session()
            response = local.session.post(
                url,
                data=bodies[batch],
                headers={
                    **system.headers("provider", council.provider_id),  # a fresh Idempotency-Key
                    "Content-Type": "application/json",
                },
                timeout=300,
            )
            response.raise_for_status()
            if response.json()["recorded"] != args.batch_size:
                raise SystemExit(f"batch {batch} not all recorded: {response.text[:500]}")

        stages: dict[str, float] = {}
        with RssSampler(system.pids()) as rss, ThreadPoolExecutor(args.concurrency) as pool:
            began = time.perf_counter()
            list(pool.map(post, range(args.batches)))  # raises the first failure
            stages["HTTP answered (in outcomes db)"] = time.perf_counter() - began
            deadline = time.monotonic() + args.timeout
            seen = 0
            while time.monotonic() < deadline:
                if "relayed to Kafka" not in stages and not outcomes_db[
                    PENDING_COLLECTION
                ].find_one({}, {"_id": 1}):
                    stages["relayed to Kafka"] = time.perf_counter() - began
                seen = value_facts(system, "observations")
                if seen >= expected:
                    break
                time.sleep(0.2)
            elapsed = time.perf_counter() - began
            stages["in the value read model"] = elapsed
        print(
            f"ingest: {total:,} observations in {args.batches} batches of {args.batch_size:,}, "
            f"{args.concurrency} requests in flight"
        )
        for stage, at in stages.items():
            print(f"  {stage:<32} after {at:7.1f} s  ({total / at:8,.0f} obs/s)")
        if seen < expected:
            print(
                f"  NOT DONE: only {seen:,} of {expected:,} in the read model after {elapsed:.0f} s"
            )
        rate = min(seen, total) / elapsed
        print(f"end-to-end ingest (HTTP -> value read model): {rate:,.0f} observations/s")
        if floors:
            for line in floors.lines():
                print(line)
            name, slower = floors.slower
            print(f"ingest / slower raw floor ({name}): {rate / slower:.2f}")
        print("resident memory under load (max during the ingest):")
        for line in rss.report():
            print(line)

        if not args.no_replay:
            settings = ServiceSettings.from_env(
                "value", extras=value_settings.EXTRAS, environ=system.env, with_jwt=False
            )
            store = FactStore()
            try:
                started = time.perf_counter()
                handled = replay(settings, ReadModel(store), timeout=args.timeout)
                took = time.perf_counter() - started
                print(
                    f"replay of the value read model from Kafka: {handled:,} events in "
                    f"{took:.1f} s ({handled / took:,.0f} events/s)"
                )
            finally:
                store.close()
        client.close()
    print(f"run {system.run}; {machine()}")


if __name__ == "__main__":
    main()
