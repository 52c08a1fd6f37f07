"""Accruals driven by commissioning events on the real broker, and the ledger's own events.

The commissioning events are produced to the commissioning topic as that service would send
them; the ledger's consumer runs as in production (`build_runner`), and its outbox is relayed to
the ledger topic, where every transaction must arrive once, keyed by intervention.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

import pytest
from kafka import KafkaProducer

from services.ledger.adapters.mongo import TRANSACTIONS
from shared.consumer import ConsumerRunner
from shared.events.catalogue import commissioning
from shared.events.catalogue.ledger import TRANSACTION_POSTED
from shared.outbox import OutboxRelay
from tests.ledger.builders import enrolment, enrolment_event, intervention, intervention_event
from tests.ledger.conftest import LedgerStack, publish
from tests.support.bus import read_events, running, wait_until

pytestmark = pytest.mark.integration
Auth = Callable[..., dict[str, str]]
JAN = date(2025, 1, 1)

WEEKLY = intervention("iv-w", prices=((JAN, 10_000),), budget_pence=500_000)
AMENDED = intervention(
    "iv-w", prices=((JAN, 10_000), (date(2025, 2, 15), 14_000)), budget_pence=500_000, version=2
)
BLOCK = intervention(
    "iv-b",
    provider_id="prov-2",
    pricing_model="block_per_month",
    prices=((JAN, 30_000),),
    end=date(2025, 6, 30),
    budget_pence=180_000,
)
CHILD = enrolment("en-w", intervention_id="iv-w", child_ref="C001", start=date(2025, 1, 6))
CHILD_ENDED = enrolment(
    "en-w",
    intervention_id="iv-w",
    child_ref="C001",
    start=date(2025, 1, 6),
    end=date(2025, 3, 12),
    version=2,
)
BLOCK_CHILD = enrolment(
    "en-b",
    intervention_id="iv-b",
    provider_id="prov-2",
    child_ref="C002",
    start=JAN,
    end=date(2025, 1, 31),
)


def accrued(stack: LedgerStack, intervention_id: str) -> int:
    return sum(
        t.cost_pence
        for t in stack.ledger.transactions.all()
        if t.basis == "accrued" and t.intervention_id == intervention_id
    )


def count(stack: LedgerStack) -> int:
    return stack.runtime.db[TRANSACTIONS].count_documents({})


def test_commissioning_events_drive_commitments_and_accruals_once(
    stack: LedgerStack,
    consumer: ConsumerRunner,
    producer: KafkaProducer,
    auth: Auth,
    kafka_bootstrap: str,
) -> None:
    first_events = [
        intervention_event(WEEKLY),
        intervention_event(BLOCK),
        enrolment_event(CHILD),
        enrolment_event(BLOCK_CHILD),
    ]
    publish(producer, stack, *first_events)
    wait_until(lambda: consumer.stats.handled == 4, what="the four commissioning events")
    assert {t.transaction_id: t.cost_pence for t in stack.ledger.transactions.all()} == {
        "commitment:iv-w:1": 500_000,
        "commitment:iv-b:1": 180_000,
    }

    run = {"period_start": "2025-01-01", "period_end": "2025-03-31"}
    response = stack.client.post("/accrual-runs", json=run, headers=auth("finance"))
    assert response.status_code == 201
    assert accrued(stack, "iv-w") == 121_429  # 6 Jan - 31 Mar: 85 days at 100/week
    block = {
        t.transaction_id: (t.child_ref, t.cost_pence)
        for t in stack.ledger.transactions.all()
        if t.intervention_id == "iv-b" and t.kind == "accrual"
    }
    assert block == {
        "accrual:block:iv-b:2025-01:1": ("C002", 30_000),
        "accrual:block:iv-b:2025-02:1": (None, 30_000),  # no child enrolled: unallocated
        "accrual:block:iv-b:2025-03:1": (None, 30_000),
    }

    # a price amendment from mid-February, then the child leaves on a Wednesday in March
    publish(producer, stack, intervention_event(AMENDED, commissioning.INTERVENTION_AMENDED))
    # Jan 6 - Feb 14 (40 days) at 100/week, Feb 15 - Mar 31 (45 days) at 140/week: 147,142.86
    wait_until(lambda: accrued(stack, "iv-w") == 147_143, what="the amendment re-accrued")
    publish(producer, stack, enrolment_event(CHILD_ENDED))
    # 40 days at 100/week and Feb 15 - Mar 12 (26 days) at 140/week: 109,142.86
    wait_until(lambda: accrued(stack, "iv-w") == 109_143, what="the ended enrolment re-accrued")
    march = [
        t
        for t in stack.ledger.transactions.all()
        if t.transaction_id.startswith("accrual:en-w:2025-03")
    ]
    assert sum(t.cost_pence for t in march) == 24_000
    net_march = Counter()
    for txn in march:
        for line in txn.lines:
            net_march[(line.start, line.end)] += line.cost_pence
    assert +net_march == {(date(2025, 3, 1), date(2025, 3, 12)): 24_000}

    # replays of every event and a repeated run change nothing
    posted = count(stack)
    handled = consumer.stats.handled
    publish(
        producer,
        stack,
        *first_events,
        intervention_event(AMENDED, commissioning.INTERVENTION_AMENDED),
        enrolment_event(CHILD_ENDED),
    )
    wait_until(lambda: consumer.stats.handled == handled + 6, what="the replayed events")
    assert (
        stack.client.post("/accrual-runs", json=run, headers=auth("finance")).get_json()["posted"]
        == []
    )
    assert count(stack) == posted
    assert consumer.stats.dead_lettered == 0

    reconciliation = stack.client.get("/reconciliation", headers=auth("finance")).get_json()
    assert reconciliation["balanced"] and reconciliation["violations"] == []

    # every transaction is published once, keyed by intervention; lines reconcile with spend
    relay = OutboxRelay(stack.runtime.db, producer, stack.runtime.topic("ledger"))
    with running(relay.run):
        events = read_events(kafka_bootstrap, stack.runtime.topic("ledger"), expect=posted)
    assert len(events) == posted
    assert {e.type for e in events} == {TRANSACTION_POSTED}
    assert {e.source for e in events} == {"acorn/ledger"}
    assert len({e.data["transaction_id"] for e in events}) == posted
    assert all(e.partitionkey == e.data["intervention_id"] for e in events)
    for basis in ("committed", "accrued"):
        from_events = sum(
            line["cost_pence"]
            for e in events
            if e.data["basis"] == basis
            for line in e.data["lines"]
        )
        spend = stack.client.get(f"/spend?basis={basis}", headers=auth("finance")).get_json()
        assert from_events == spend["total_pence"], basis
    assert sum(p["amount_pence"] for e in events for p in e.data["postings"]) == 0


def test_events_for_an_unknown_intervention_wait_for_it(
    stack: LedgerStack, consumer: ConsumerRunner, producer: KafkaProducer, auth: Auth
) -> None:
    stack.client.post(
        "/accrual-runs",
        json={"period_start": "2025-01-01", "period_end": "2025-01-31"},
        headers=auth("finance"),
    )
    publish(producer, stack, enrolment_event(CHILD))
    wait_until(lambda: consumer.stats.handled == 1, what="the enrolment")
    assert accrued(stack, "iv-w") == 0
    publish(producer, stack, intervention_event(WEEKLY))
    wait_until(
        lambda: accrued(stack, "iv-w") == 37_143,
        what="January accrued once the intervention is known",
    )
