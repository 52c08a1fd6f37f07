"""Processes killed at the worst moments, on the whole system: nothing lost, nothing doubled,
nothing left hanging.

- An API worker SIGKILLed while it stores a 1,000-row batch: the client's retry with the same
  `Idempotency-Key` answers (after the claim's lease) with exactly one copy of every row, and the
  relay announces each row once.
- Relays and consumers SIGKILLed at random points under a bounded load of invoices: the value
  service's spend equals the ledger's to the penny, and every transaction arrives once.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from pymongo import MongoClient

from deploy import processes
from deploy.demo import CHILD, PERIOD, Acorn, run_worked_example
from shared.auth import mint_token
from shared.events.envelope import Envelope
from shared.events.topics import service_topic
from shared.kafka import read_to_end
from tests.support.bus import wait_until
from tests.support.identity import TEST_JWT
from tests.support.system import RunningSystem, running_system

LEASE_S = 3  # the API's Idempotency-Key lease, short so the test need not wait a minute
ROWS = 1_000


def token_for(role: str, *, provider_id: str | None = None) -> str:
    subject = f"faults-{role}" + (f"-{provider_id}" if provider_id else "")
    return mint_token(TEST_JWT, roles=[role], provider_id=provider_id, subject=subject)


@pytest.fixture(scope="module")
def system(
    mongo_uri: str, kafka_bootstrap: str, mongo_client: MongoClient[dict[str, Any]]
) -> Iterator[RunningSystem]:
    with running_system(
        mongo_uri=mongo_uri,
        kafka_bootstrap=kafka_bootstrap,
        mongo_client=mongo_client,
        name="faults",
        port_shift=500,
        # An orphaned write is finished by the relay after its grace; the grace must outlast a
        # write the database still applies after its writer died (seconds, on a loaded machine).
        env={"ACORN_IDEMPOTENCY_LEASE_S": str(LEASE_S), "ACORN_OUTBOX_ORPHAN_GRACE_S": "20"},
    ) as running:
        yield running


@pytest.fixture(scope="module")
def example(system: RunningSystem) -> dict[str, Any]:
    """The worked example's provider, interventions and child, set up through the APIs."""
    acorn = Acorn(urls=system.urls, token_for=token_for, timeout=90)
    report = run_worked_example(acorn)
    intervention = acorn.call(
        "GET",
        "commissioning",
        f"/interventions/{report['interventions']['A']}",
        role="commissioner",
    ).json()
    return {**report, "provider_id": intervention["provider_id"]}


def _worker_pids(system: RunningSystem, component: str) -> list[int]:
    """gunicorn's workers: the children of the master process the pid file names."""
    master = processes.running_pid(system.components[component].pid_file)
    assert master is not None, f"{component} is not running"
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _batch() -> dict[str, Any]:
    start = date.fromisoformat(PERIOD["from"])
    return {
        "observations": [
            {
                "child_ref": CHILD,
                "indicator_code": "school_attendance",
                "value": row / 10,  # each row its own (an exact repeat is recorded once)
                "observed_on": (start + timedelta(days=row % 80)).isoformat(),
            }
            for row in range(ROWS)
        ]
    }


@pytest.mark.parametrize("delay_s", [0.0, 0.05, 0.2])
def test_a_worker_killed_mid_batch_then_the_same_key_stores_one_copy(
    system: RunningSystem,
    example: dict[str, Any],
    mongo_client: MongoClient[dict[str, Any]],
    kafka_bootstrap: str,
    delay_s: float,
) -> None:
    db = mongo_client[system.databases["outcomes"]]
    provider = example["provider_id"]
    key = f"batch-killed-{delay_s}"
    body = _batch()
    headers = {
        "Authorization": f"Bearer {token_for('provider', provider_id=provider)}",
        "Idempotency-Key": key,
    }
    url = f"{system.urls['outcomes']}/observations/batch"
    before = db.observations.count_documents({})
    [worker] = _worker_pids(system, "outcomes-api")

    def first_attempt() -> None:
        # the connection dies with the worker: the client sees an error
        with contextlib.suppress(requests.RequestException):
            requests.post(url, json=body, headers=headers, timeout=30)

    attempt = threading.Thread(target=first_attempt)
    attempt.start()
    wait_until(
        lambda: db.idempotency_keys.find_one({"_id": {"$regex": f"{key}$"}}),
        interval=0.005,
        what="the first attempt's claim",
    )
    time.sleep(delay_s)
    os.kill(worker, signal.SIGKILL)
    attempt.join(timeout=60)

    def retried() -> requests.Response | None:
        try:
            response = requests.post(url, json=body, headers=headers, timeout=30)
        except requests.RequestException:
            return None  # gunicorn is starting a new worker
        return None if response.status_code == 409 else response

    response = wait_until(retried, timeout=60, interval=0.5, what="an answer to the retry")
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [row["status"] for row in results] == ["recorded"] * ROWS
    ids = {row["observation_id"] for row in results}
    assert len(ids) == ROWS
    assert db.observations.count_documents({}) == before + ROWS  # one copy, not two
    # and each row is announced once, whichever attempt's write the relay finishes
    topic = service_topic("outcomes", system.topic_prefix)

    def announced() -> list[str] | None:
        events = [Envelope.from_bytes(r.value) for r in read_to_end(kafka_bootstrap, topic)]
        recorded = [e.data["observation_id"] for e in events if e.data.get("observation_id") in ids]
        return recorded if len(recorded) >= ROWS else None

    recorded = wait_until(announced, timeout=120, interval=1, what="the rows' events")
    assert sorted(recorded) == sorted(ids)  # each row announced, and once


def test_relays_and_consumers_killed_at_random_lose_and_double_nothing(
    system: RunningSystem, example: dict[str, Any]
) -> None:
    acorn = Acorn(urls=system.urls, token_for=token_for, timeout=120)
    intervention = example["interventions"]["A"]
    # the value service's consumer runs inside its API's gunicorn worker: that worker is killed
    victims = ["ledger-relay", "ledger-consumer", "value-api", "commissioning-relay"]
    rng = random.Random(18)
    stop = threading.Event()
    kills: list[str] = []

    def killer() -> None:
        while not stop.wait(rng.uniform(0.2, 0.8)):
            name = rng.choice(victims)
            component = system.components[name]
            if name.endswith("-api"):  # gunicorn starts a new worker in its place
                pids = _worker_pids(system, name)
            else:
                pid = processes.running_pid(component.pid_file)
                pids = [] if pid is None else [pid]
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
                kills.append(name)
            processes.start(component)

    chaos = threading.Thread(target=killer)
    chaos.start()
    posted = 0
    try:
        number = -1
        # a bounded load: at least 40 invoices, and on until at least 5 kills happened meanwhile
        while (number := number + 1) < 40 or (len(kills) < 5 and number < 400):
            amount = 1_000 + number
            acorn.write(
                "ledger",
                "/transactions",
                role="finance",
                key=f"chaos-invoice-{number}",
                json={
                    "kind": "invoice",
                    "intervention_id": intervention,
                    "description": f"chaos {number}",
                    "invoice_number": f"CHAOS-{number}",
                    "lines": [
                        {
                            "child_ref": CHILD,
                            "service_period_start": PERIOD["from"],
                            "service_period_end": PERIOD["to"],
                            "amount": amount,
                        }
                    ],
                },
            )
            posted += amount
    finally:
        stop.set()
        chaos.join()
    for component in system.components.values():
        processes.start(component)  # whatever the last kill left down
    assert len(kills) >= 5, kills

    ledger_total = acorn.call(
        "GET", "ledger", "/spend", role="finance", params={"basis": "invoiced"}
    ).json()["total_pence"]
    # the worked example's £4,800 of invoices, and every chaos invoice exactly once
    assert ledger_total == 480_000 + posted

    def value_spend() -> int | None:
        response = acorn.call(
            "GET", "value", "/reports/reconciliation", role="finance", params={"fy": 2024}
        )
        body = response.json() if response.ok else {}
        return body["report_spend_pence"] if body.get("balanced") else None

    # settles at the ledger's figure: below it something was lost, above it doubled
    wait_until(
        lambda: value_spend() == ledger_total, timeout=120, interval=1, what="value = ledger"
    )


def test_every_log_line_is_json_and_names_no_child(
    system: RunningSystem, example: dict[str, Any]
) -> None:
    acorn = Acorn(urls=system.urls, token_for=token_for)
    seen = acorn.call(
        "GET",
        "outcomes",
        f"/children/{CHILD}/observations",
        role="provider",
        provider_id=example["provider_id"],
    )
    assert seen.ok, seen.text
    for name, component in system.components.items():
        for number, line in enumerate(component.log_file.read_text().splitlines(), 1):
            try:
                entry = json.loads(line)
            except ValueError:
                pytest.fail(f"{name} log line {number} is not JSON: {line[:200]}")
            # requests are logged by the application, by route; gunicorn's access log is off
            assert entry.get("logger") != "gunicorn.access", f"{name} log line {number}: {line}"
            if entry.get("logger") == "shared.http.app":
                assert CHILD not in line, f"{name} log line {number} names a child: {line[:200]}"
