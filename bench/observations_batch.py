"""Throughput of the outcomes batch endpoint: observations per second, HTTP to database.

Run against the running infrastructure (`./dev up`, or `MONGODB_URI` / `KAFKA_BOOTSTRAP_SERVERS`):

    .venv/bin/python -m bench.observations_batch [--batches 10] [--batch-size 1000]

It creates a database and a topic namespace of its own, serves the outcomes API over real HTTP
(werkzeug, one thread) and posts batches of valid observations for children the provider holds,
then drops what it created. The enrolment projection is filled through the consumer's use case
directly (no Kafka round trip): what is measured is the batch endpoint, from request to the
observations, their outbox events and hints being in the database. The relay is not running, so
publishing to Kafka is not part of the figure. It also prints the database commands one batch
sends, by command and collection: a count that grows with the rows is a per-row round trip.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import requests
from flask import Flask
from pymongo import monitoring
from werkzeug.serving import make_server

from bench.common import machine
from services.outcomes.entrypoints.api import create_app
from services.outcomes.service_layer.enrolments import apply_enrolment_snapshot
from services.outcomes.settings import EXTRAS
from shared.auth import JwtSettings, mint_token
from shared.config import ServiceSettings
from shared.events.topics import all_topics
from shared.kafka import admin, ensure_topics

CHILDREN = 200
INDICATORS = ("school_attendance", "sdq_total_difficulties", "placement_moves_12m", "in_eet")


def row(index: int, today: datetime) -> dict[str, object]:
    code = INDICATORS[index % len(INDICATORS)]
    value = {"school_attendance": 91.5, "sdq_total_difficulties": 12, "in_eet": 1}.get(code, 2)
    return {
        "child_ref": f"bench-child-{index % CHILDREN:04d}",
        "indicator_code": code,
        "value": value,
        "observed_on": (today - timedelta(days=1 + index % 60)).date().isoformat(),
        "intervention_id": "bench-intervention",
    }


class CommandCounter(monitoring.CommandListener):
    """Counts the commands sent while `counting` is set, by (command, collection)."""

    def __init__(self) -> None:
        self.counting = False
        self.commands: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.counting:
            target = event.command.get(event.command_name)
            self.commands[(event.command_name, target if isinstance(target, str) else "")] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    mongodb_uri = os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/")
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    run = uuid.uuid4().hex[:8]
    prefix = f"bench_{run}."
    jwt = JwtSettings("HS256", "acorn-bench", "acorn", secret=secrets.token_urlsafe(48))
    env = {
        "MONGODB_URI": mongodb_uri,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "ACORN_TOPIC_PREFIX": prefix,
        "ACORN_OUTCOMES_DB": f"bench_outcomes_{run}",
        "ACORN_JWT_SECRET": jwt.secret or "",
        "ACORN_JWT_ISSUER": jwt.issuer,
        "ACORN_JWT_AUDIENCE": jwt.audience,
        "ACORN_OUTCOMES_BATCH_LIMIT": str(args.batch_size),
    }
    topics = all_topics(prefix)
    ensure_topics(kafka, topics)
    counter = CommandCounter()
    monitoring.register(counter)  # before the app's client exists: it applies to new clients
    app = create_app(ServiceSettings.from_env("outcomes", extras=EXTRAS, environ=env))
    runtime = app.extensions["acorn_runtime"]
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        figure = measure(app, server.server_port, jwt, args.batches, args.batch_size, counter)
    finally:
        server.shutdown()
        runtime.client.drop_database(env["ACORN_OUTCOMES_DB"])
        runtime.client.close()
        client = admin(kafka)
        try:
            client.delete_topics(topics)
        finally:
            client.close()
    print(
        f"outcomes batch endpoint: {figure:,.0f} observations/s "
        f"({args.batches} batches of {args.batch_size}, HTTP to database)"
    )
    calls = ", ".join(
        f"{n} {name} {target}".rstrip() for (name, target), n in counter.commands.most_common()
    )
    print(f"database calls per batch: {counter.commands.total()} ({calls})")
    print(machine())


def measure(
    app: Flask, port: int, jwt: JwtSettings, batches: int, size: int, counter: CommandCounter
) -> float:
    ctx = app.extensions["acorn"]
    provider = "bench-provider"
    today = datetime.now(UTC)
    for child in range(CHILDREN):
        apply_enrolment_snapshot(
            {
                "enrolment_id": f"bench-enrolment-{child}",
                "intervention_id": "bench-intervention",
                "provider_id": provider,
                "child_ref": f"bench-child-{child:04d}",
                "start_date": (today - timedelta(days=365)).date().isoformat(),
                "end_date": None,
                "version": 1,
            },
            ctx=ctx,
        )
    token = mint_token(jwt, roles=["provider"], provider_id=provider, subject="bench")
    session = requests.Session()
    url = f"http://127.0.0.1:{port}/observations/batch"

    def post(offset: int) -> None:
        body = {"observations": [row(offset + i, today) for i in range(size)]}
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        response = session.post(url, json=body, headers=headers, timeout=300)
        response.raise_for_status()
        recorded = response.json()["recorded"]
        if recorded != size:
            raise SystemExit(f"only {recorded} of {size} observations were recorded")

    post(0)  # warm-up: seeds the framework, opens connections
    counter.counting = True  # one more batch, untimed, whose commands are counted
    post(size)
    counter.counting = False
    started = time.perf_counter()
    for batch in range(2, batches + 2):
        post(batch * size)
    elapsed = time.perf_counter() - started
    return batches * size / elapsed


if __name__ == "__main__":
    main()
