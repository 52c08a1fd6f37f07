"""Every change reaches Kafka exactly once, keyed by its aggregate, with the catalogue's payload."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from kafka import KafkaProducer

from shared.events.catalogue import commissioning as catalogue
from shared.events.envelope import Envelope
from shared.events.registry import validate_payload
from shared.kafka import make_producer
from shared.outbox import PENDING_COLLECTION, OutboxRelay
from tests.commissioning.conftest import Api, created, refused
from tests.support.bus import read_topic, running, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def producer(kafka_bootstrap: str) -> Iterator[KafkaProducer]:
    producer = make_producer(kafka_bootstrap)
    yield producer
    producer.close(timeout=5)


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.json
    body: dict[str, Any] = response.json
    return body


def make_every_kind_of_change(api: Api) -> dict[str, str]:
    """Twelve changes, plus a replay and a refusal that must publish nothing."""
    provider = api.provider(name="Oak")
    pid = provider["provider_id"]
    ok(api.patch(f"/providers/{pid}", {"name": "Oak Ltd"}, if_match='"v1"'))
    iid = api.intervention(pid)["intervention_id"]
    path = f"/interventions/{iid}"
    headers = {**api.headers("commissioner", if_match='"v1"'), "X-Correlation-ID": "corr-act-1"}
    ok(api.client.post(f"{path}/activate", json={"effective_date": "2025-01-06"}, headers=headers))
    amendment = {"effective_from": "2025-04-01", "unit_price_pence": 12_500}
    ok(api.post(f"{path}/price-amendments", amendment, if_match='"v2"'))
    ok(api.post(f"{path}/suspend", {"reason": "inspection"}, if_match='"v3"'))
    ok(api.post(f"{path}/resume", if_match='"v4"'))
    enrol = {"child_ref": "child-a-1", "start_date": "2025-02-01"}
    first = created(api.post(f"{path}/enrolments", enrol, key="enrol-a"))
    assert created(api.post(f"{path}/enrolments", enrol, key="enrol-a")) == first  # replay
    second = created(api.enrol(iid, "child-b-1", "2025-03-01"))
    ok(
        api.post(
            f"/enrolments/{first['enrolment_id']}/end",
            {"end_date": "2025-05-31", "reason": "moved out of area"},
            if_match='"v1"',
        )
    )
    ok(api.post(f"{path}/end", {"end_date": "2025-09-30", "reason": "retendered"}, if_match='"v5"'))
    refused(api.enrol(iid, "child-c-1", "2025-06-01"), 409)
    return {
        "provider": pid,
        "intervention": iid,
        "first": first["enrolment_id"],
        "second": second["enrolment_id"],
    }


def test_each_change_is_published_once_with_its_snapshot_and_key(
    app: Flask, api: Api, kafka_bootstrap: str, producer: KafkaProducer
) -> None:
    ids = make_every_kind_of_change(api)
    runtime = app.extensions["acorn"].runtime
    topic = runtime.topic("commissioning")
    with running(OutboxRelay(runtime.db, producer, topic).run):
        messages = read_topic(kafka_bootstrap, topic, expect=12)

        wait_until(
            lambda: runtime.db[PENDING_COLLECTION].count_documents({}) == 0,
            what="every outbox entry marked published",
        )
    assert len(messages) == 12  # and no duplicates in the extra poll read_topic makes
    events = [Envelope.from_bytes(value) for _, value in messages]
    for (key, _), event in zip(messages, events, strict=True):
        validate_payload(event.type, event.dataschemaversion, event.data, strict=True)
        assert key == event.subject.encode() == event.partitionkey.encode()
        assert event.source == "acorn/commissioning"
    assert len({event.id for event in events}) == 12

    by_type: dict[str, list[Envelope]] = {}
    for event in events:
        by_type.setdefault(event.type, []).append(event)
    assert Counter({t: len(es) for t, es in by_type.items()}) == {
        catalogue.PROVIDER_REGISTERED: 1,
        catalogue.PROVIDER_UPDATED: 1,
        catalogue.INTERVENTION_COMMISSIONED: 1,
        catalogue.INTERVENTION_ACTIVATED: 1,
        catalogue.INTERVENTION_AMENDED: 1,
        catalogue.INTERVENTION_SUSPENDED: 1,
        catalogue.INTERVENTION_RESUMED: 1,
        catalogue.INTERVENTION_ENDED: 1,
        catalogue.CHILD_ENROLLED: 2,
        catalogue.ENROLMENT_ENDED: 2,
    }

    [updated] = by_type[catalogue.PROVIDER_UPDATED]
    assert (updated.subject, updated.data["name"], updated.data["version"]) == (
        ids["provider"],
        "Oak Ltd",
        2,
    )
    [activated] = by_type[catalogue.INTERVENTION_ACTIVATED]
    assert activated.correlationid == "corr-act-1"
    assert activated.data["effective_date"] == "2025-01-06"
    [amended] = by_type[catalogue.INTERVENTION_AMENDED]
    assert (amended.data["effective_date"], amended.data["unit_price_pence"]) == (
        "2025-04-01",
        12_500,
    )
    assert amended.data["intervention"]["prices"] == [
        {"effective_from": "2025-01-01", "unit_price_pence": 10_000},
        {"effective_from": "2025-04-01", "unit_price_pence": 12_500},
    ]
    [suspended] = by_type[catalogue.INTERVENTION_SUSPENDED]
    assert suspended.data["reason"] == "inspection"
    intervention_events = [e for e in events if e.subject == ids["intervention"]]
    assert sorted(e.data["intervention"]["version"] for e in intervention_events) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    [ended] = by_type[catalogue.INTERVENTION_ENDED]
    assert ended.data["intervention"]["status"] == "ended"
    assert ended.data["effective_date"] == ended.data["intervention"]["end_date"] == "2025-09-30"

    enrolments = {
        (e.type, e.subject): e.data["enrolment"]
        for e in by_type[catalogue.CHILD_ENROLLED] + by_type[catalogue.ENROLMENT_ENDED]
    }
    assert enrolments[(catalogue.CHILD_ENROLLED, ids["first"])]["child_ref"] == "child-a-1"
    assert enrolments[(catalogue.ENROLMENT_ENDED, ids["first"])] == {
        "enrolment_id": ids["first"],
        "intervention_id": ids["intervention"],
        "provider_id": ids["provider"],
        "child_ref": "child-a-1",
        "start_date": "2025-02-01",
        "end_date": "2025-05-31",
        "end_reason": "moved out of area",
        "status": "ended",
        "version": 2,
    }
    closed_by_ending = enrolments[(catalogue.ENROLMENT_ENDED, ids["second"])]
    assert (closed_by_ending["end_date"], closed_by_ending["end_reason"]) == (
        "2025-09-30",
        "retendered",
    )
