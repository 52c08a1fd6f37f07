"""Throughput of single writes: enrolments (commissioning) and postings (ledger), requests/s.

Run against the running infrastructure (`./dev up`, or `MONGODB_URI` / `KAFKA_BOOTSTRAP_SERVERS`):

    .venv/bin/python -m bench.api_writes [--interventions 8] [--children 60] [--postings 800]

It serves each API over real HTTP (werkzeug, a thread per request) on databases of its own and
sends single writes from `--in-flight` client threads, as `deploy/council/load.py` does: each
thread enrols the children of its own intervention one after another, then ends them; then each
posts one intervention's invoices, payments and a reversal of every tenth invoice. The ledger
learns of its interventions through its consumer's use case directly (no Kafka round trip), and
no relay runs: what is measured is request to state, events (outbox) and audit in the database.
With `--calls` it also counts the database commands each kind of request sends.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from typing import Any

import requests
from flask import Flask
from pymongo import monitoring
from werkzeug.serving import make_server

from bench.common import kafka_bootstrap, machine, mongodb_uri, run_id
from services.commissioning.entrypoints.api import create_app as commissioning_app
from services.ledger.domain.terms import InterventionTerms, PricePeriod
from services.ledger.entrypoints.api import create_app as ledger_app
from services.ledger.service_layer.handlers import record_intervention
from services.ledger.settings import EXTRAS as LEDGER_EXTRAS
from shared.auth import JwtSettings, mint_token
from shared.config import ServiceSettings

START, END = date(2024, 4, 1), date(2026, 3, 31)


class CommandCounter(monitoring.CommandListener):
    """Database commands per HTTP request kind (the thread's current label)."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.counts: Counter[str] = Counter()  # "<request label> <command>"
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        label = getattr(self.local, "label", None)
        if label:
            with self.lock:
                self.counts[f"{label} {event.command_name}"] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COUNTER = CommandCounter()


def labelled(app: Flask) -> None:
    """Label each request's database commands with its method and route."""

    @app.before_request
    def label() -> None:
        from flask import request

        label = f"{request.method} {request.url_rule.rule if request.url_rule else ''}"
        COUNTER.local.label = label
        with COUNTER.lock:
            COUNTER.requests[label] += 1

    @app.teardown_request
    def unlabel(_: BaseException | None) -> None:
        COUNTER.local.label = None


@contextmanager
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.local = threading.local()

    def post(self, path: str, body: dict[str, Any], **headers: str) -> requests.Response:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        response = session.post(
            self.base + path,
            json=body,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": str(uuid.uuid4()),
                **headers,
            },
            timeout=60,
        )
        if not response.ok:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
        return response


def timed(label: str, count: int, work: Callable[[], None]) -> float:
    began = time.perf_counter()
    work()
    elapsed = time.perf_counter() - began
    print(f"  {label:<34} {count:6d} in {elapsed:6.2f} s  {count / elapsed:7.1f} requests/s")
    return count / elapsed


def in_parallel(pool: ThreadPoolExecutor, groups: list[Any], run: Callable[[Any], None]) -> None:
    for future in [pool.submit(run, group) for group in groups]:
        future.result()


def commissioning(
    base: str, jwt: JwtSettings, pool: ThreadPoolExecutor, args: argparse.Namespace
) -> None:
    api = Client(base, mint_token(jwt, roles=["commissioner"], subject="bench-commissioner"))
    provider = api.post("/providers", {"name": "Bench Care", "kind": "voluntary"}).json()
    interventions = []
    for n in range(args.interventions):
        created = api.post(
            "/interventions",
            {
                "provider_id": provider["provider_id"],
                "title": f"Bench support {n}",
                "category": "family_support",
                "pricing_model": "per_child_week",
                "unit_price_pence": 20_000,
                "capacity": args.children,
                "start_date": START.isoformat(),
                "end_date": END.isoformat(),
                "budget_pence": 10**10,
                "target_indicators": ["school_attendance"],
            },
        )
        iv = created.json()["intervention_id"]
        api.post(f"/interventions/{iv}/activate", {"effective_date": START.isoformat()},
                 **{"If-Match": created.headers["ETag"]})  # fmt: skip
        interventions.append(iv)
    enrolled: dict[str, list[str]] = {iv: [] for iv in interventions}

    def enrol(iv: str) -> None:
        for child in range(args.children):
            body = {"child_ref": f"bench-{iv}-{child:04d}", "start_date": START.isoformat()}
            enrolled[iv].append(
                api.post(f"/interventions/{iv}/enrolments", body).json()["enrolment_id"]
            )

    def end(iv: str) -> None:
        for enrolment in enrolled[iv]:
            body = {"end_date": END.isoformat(), "reason": "bench"}
            api.post(f"/enrolments/{enrolment}/end", body, **{"If-Match": '"v1"'})

    total = args.interventions * args.children
    timed("POST /interventions/{id}/enrolments", total,
          lambda: in_parallel(pool, interventions, enrol))  # fmt: skip
    timed("POST /enrolments/{id}/end", total, lambda: in_parallel(pool, interventions, end))


def ledger(
    app: Flask, base: str, jwt: JwtSettings, pool: ThreadPoolExecutor, args: argparse.Namespace
) -> None:
    api = Client(base, mint_token(jwt, roles=["finance"], subject="bench-finance"))
    interventions = [f"int-bench{n:04d}" for n in range(args.interventions)]
    for iv in interventions:
        terms = InterventionTerms(iv, "prv-bench", "family_support", "per_child_week",
                                  (PricePeriod(START, 20_000),), START, END, 10**10, 2)  # fmt: skip
        record_intervention(terms, source="bench", ledger=app.extensions["acorn"].ledger)
    per = args.postings // len(interventions)

    def post(iv: str) -> None:
        last_invoice = ""
        for n in range(per):
            line = {"child_ref": f"bench-{n:04d}", "service_period_start": "2024-04-01",
                    "service_period_end": "2024-04-30", "amount": 10_000 + n}  # fmt: skip
            if n % 10 == 9:
                api.post("/reversals", {"reverses": last_invoice, "description": "wrong invoice"})
            elif n % 2 == 0:
                body = {"kind": "invoice", "intervention_id": iv, "description": "bench invoice",
                        "invoice_number": f"{iv}-{n}", "lines": [line]}  # fmt: skip
                last_invoice = api.post("/transactions", body).json()["transaction_id"]
            else:
                body = {"kind": "payment", "intervention_id": iv, "description": "bench payment",
                        "lines": [line]}  # fmt: skip
                api.post("/transactions", body)

    timed("POST /transactions and /reversals", per * len(interventions),
          lambda: in_parallel(pool, interventions, post))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interventions", type=int, default=8)
    parser.add_argument("--children", type=int, default=60, help="enrolments an intervention")
    parser.add_argument("--postings", type=int, default=800)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--calls", action="store_true", help="count database commands")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.calls:
        monitoring.register(COUNTER)
    run = run_id()
    jwt = JwtSettings("HS256", "acorn-bench", "acorn", secret=secrets.token_urlsafe(48))
    env = {
        "MONGODB_URI": mongodb_uri(),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap(),
        "ACORN_TOPIC_PREFIX": f"bench_{run}.",
        "ACORN_COMMISSIONING_DB": f"bench_commissioning_{run}",
        "ACORN_LEDGER_DB": f"bench_ledger_{run}",
        "ACORN_JWT_SECRET": jwt.secret or "",
        "ACORN_JWT_ISSUER": jwt.issuer,
        "ACORN_JWT_AUDIENCE": jwt.audience,
        "ACORN_LOG_LEVEL": "WARNING",
    }
    apps = {
        "commissioning": commissioning_app(ServiceSettings.from_env("commissioning", environ=env)),
        "ledger": ledger_app(ServiceSettings.from_env("ledger", extras=LEDGER_EXTRAS, environ=env)),
    }
    print(f"single writes, {args.in_flight} in flight, HTTP to database (no relay):")
    try:
        with ThreadPoolExecutor(args.in_flight) as pool:
            for name, app in apps.items():
                labelled(app)
                with served(app) as base:
                    if name == "commissioning":
                        commissioning(base, jwt, pool, args)
                    else:
                        ledger(app, base, jwt, pool, args)
    finally:
        for name, app in apps.items():
            runtime = app.extensions["acorn"].runtime
            runtime.client.drop_database(env[f"ACORN_{name.upper()}_DB"])
            runtime.client.close()
    if args.calls:
        print("database commands a request, by request kind:")
        for label, seen in sorted(COUNTER.requests.items()):
            sent = {k.removeprefix(label).strip(): n for k, n in COUNTER.counts.items()
                    if k.rsplit(" ", 1)[0] == label}  # fmt: skip
            detail = ", ".join(f"{c} {n / seen:.1f}" for c, n in sorted(sent.items()))
            print(f"  {label:<40} {sum(sent.values()) / seen:5.1f}  ({detail})")
    print(machine())


if __name__ == "__main__":
    main()
