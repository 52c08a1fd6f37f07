"""Freshness and latency of the value reports, against the running infrastructure.

Run with Kafka and FerretDB up (`./dev up`, or `MONGODB_URI` / `KAFKA_BOOTSTRAP_SERVERS`):

    .venv/bin/python -m bench.value_reports [--children 300] [--samples 10] [--requests 30]

(as a module from the repository root: it reuses the tests' seeded council generator)

It creates a database and a topic namespace of its own, publishes a generated council (the tests'
seeded generator) on the commissioning, outcomes and ledger topics as those services would, runs
the value read-model consumer and serves the value API over real HTTP (werkzeug, one thread),
then drops what it created. It prints:
- ingest: the time for the consumer to build the read model from the whole council;
- freshness: from publishing one more ledger transaction to the report showing its pence;
- latency: p50/p95 of each report over HTTP on the full read model.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import threading
import time
import uuid

import requests
from werkzeug.serving import make_server

from bench.common import machine, summary
from services.value.adapters.readmodel import ReadModel
from services.value.adapters.store import FactStore
from services.value.entrypoints.api import create_service_app_for
from services.value.entrypoints.consumer import build_runner
from services.value.settings import EXTRAS
from shared.auth import JwtSettings, mint_token
from shared.config import ServiceSettings
from shared.events.topics import all_topics, service_topic
from shared.kafka import admin, ensure_topics, make_producer
from shared.runtime import ServiceRuntime
from tests.value import events as ev
from tests.value.generator import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--samples", type=int, default=10, help="freshness samples")
    parser.add_argument("--requests", type=int, default=30, help="requests per report")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    run = uuid.uuid4().hex[:8]
    prefix = f"bench_{run}."
    jwt = JwtSettings("HS256", "acorn-bench", "acorn", secret=secrets.token_urlsafe(48))
    env = {
        "MONGODB_URI": os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/"),
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "ACORN_TOPIC_PREFIX": prefix,
        "ACORN_VALUE_DB": f"bench_value_{run}",
        "ACORN_JWT_SECRET": jwt.secret or "",
        "ACORN_JWT_ISSUER": jwt.issuer,
        "ACORN_JWT_AUDIENCE": jwt.audience,
        "ACORN_LOG_LEVEL": "WARNING",
    }
    topics = all_topics(prefix)
    ensure_topics(kafka, topics)
    settings = ServiceSettings.from_env("value", extras=EXTRAS, environ=env)
    runtime = ServiceRuntime.connect(settings)
    store = FactStore()
    read_model = ReadModel(store)
    runner = build_runner(settings, read_model)
    app = create_service_app_for(runtime, settings, read_model)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    base = f"http://127.0.0.1:{server.server_port}"
    headers = {"Authorization": f"Bearer {mint_token(jwt, roles=['finance'], subject='bench')}"}
    stop = threading.Event()
    threads = [
        threading.Thread(target=runner.run, args=(stop,), daemon=True),
        threading.Thread(target=server.serve_forever, daemon=True),
    ]
    for thread in threads:
        thread.start()
    producer = make_producer(kafka)
    session = requests.Session()

    def get(path: str, **query: object) -> dict:
        response = session.get(f"{base}/reports/{path}", params=query, headers=headers, timeout=120)
        response.raise_for_status()
        return response.json()

    def publish(service: str, events: list) -> None:
        for event in events:
            producer.send(
                service_topic(service, prefix),
                key=event.partitionkey.encode(),
                value=event.to_bytes(),
            )
        producer.flush(timeout=60)

    try:
        council = generate(children=args.children, seed=6)
        total = sum(len(e) for e in council.values())
        began = time.perf_counter()
        for service, events in council.items():
            publish(service, events)
        while runner.stats.handled < total:
            time.sleep(0.05)
        ingest = time.perf_counter() - began
        print(f"council: {args.children} children, {total} events")
        print(f"ingest:    {ingest:6.1f} s for the read model ({total / ingest:,.0f} events/s)")

        freshness = []
        for n in range(args.samples):
            before = get("cost-per-outcome", fy=2024)["total"]["spend_pence"]
            invoice = ev.transaction(
                f"bench-fresh-{n}",
                intervention_id="int-mentor",
                provider_id="prov-oak",
                lines=[("child-0000", "2024-09-01", "2024-09-30", 1_234)],
            )
            sent = time.perf_counter()
            publish("ledger", [invoice])
            while get("cost-per-outcome", fy=2024)["total"]["spend_pence"] != before + 1_234:
                pass
            freshness.append(time.perf_counter() - sent)
        print(f"freshness (publish -> visible in report):        {summary(freshness)}")

        for path, query in [
            ("cost-per-outcome", {"fy": 2024}),
            ("cost-per-outcome", {"fy": 2024, "group_by": "need_level", "rule": "time_share"}),
            ("report-card", {"fy": 2024}),
            ("reconciliation", {"fy": 2024, "quarter": 3}),
            ("turn-the-curve", {"fy": 2024, "indicator": "attendance", "since": "2024-10-01"}),
        ]:
            latencies = []
            for _ in range(args.requests):
                started = time.perf_counter()
                get(path, **query)
                latencies.append(time.perf_counter() - started)
            label = f"{path} {','.join(f'{k}={v}' for k, v in query.items())}"
            print(f"latency {label[:40]:<40} {summary(latencies)}")
        print(machine())
    finally:
        stop.set()
        server.shutdown()
        for thread in threads:
            thread.join(timeout=30)
        producer.close(timeout=5)
        runner.producer.close(timeout=5)
        store.close()
        runtime.client.drop_database(env["ACORN_VALUE_DB"])
        runtime.client.close()
        client = admin(kafka)
        try:
            client.delete_topics(topics)
        finally:
            client.close()
        session.close()


if __name__ == "__main__":
    main()
