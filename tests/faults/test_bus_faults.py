"""One record or message can never stall the flow of events: a relay sets aside what the broker
will never take and carries on; a consumer dead-letters an oversized poison and carries on."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from kafka import KafkaProducer
from pymongo.database import Database

from shared.consumer import MAX_LETTER_PAYLOAD_BYTES
from shared.events.topics import dlq_topic, service_topic
from shared.kafka import make_producer
from shared.outbox import (
    OUTBOX_FIELD,
    PENDING_COLLECTION,
    READY_COLLECTION,
    SET_ASIDE_COLLECTION,
    Outbox,
    OutboxRelay,
    pending_record,
)
from shared.probes import serving_probes
from tests.shared.test_bus_integration import make_runner, provider_event
from tests.support.bus import read_dead_letters, read_events, running, wait_until
from tests.support.effects import ProviderDirectory


@pytest.fixture
def producer(kafka_bootstrap: str) -> Any:
    producer = make_producer(kafka_bootstrap)
    yield producer
    producer.close(timeout=5)


def test_a_record_the_broker_refuses_is_set_aside_and_later_ones_flow(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic_prefix: str
) -> None:
    db: Database[dict[str, Any]] = make_db("commissioning")
    topic = service_topic("commissioning", topic_prefix)
    outbox = Outbox(db)
    # Limits at the edge and in the catalogue refuse such an event now; one written before
    # them (or by a bug) must still not stall the relay, so it is written past the checks.
    oversized = provider_event("prov-huge")
    oversized.data["name"] = "x" * (1_200_000)  # over the broker's 1 MiB once enveloped
    document = {"_id": "prov-huge", "version": 1}
    record = pending_record("providers", [(document, [oversized])])
    db[PENDING_COLLECTION].insert_one(record)
    db.providers.insert_one({**document, OUTBOX_FIELD: [oversized.id]})
    db[READY_COLLECTION].insert_one({"_id": record["_id"], "failed": []})
    later = [provider_event(f"prov-{n}") for n in range(3)]
    for event in later:
        outbox.insert("providers", {"_id": event.subject, "version": 1}, [event])
    relay = OutboxRelay(db, producer, topic)
    with running(relay.run), serving_probes(0, "relay", relay):
        published = read_events(kafka_bootstrap, topic, expect=3)
        wait_until(lambda: db[SET_ASIDE_COLLECTION].count_documents({}) == 1, what="set aside")
    # the later events all flowed (across partitions, so in no particular order between them)
    assert sorted(event.id for event in published) == sorted(event.id for event in later)
    kept = db[SET_ASIDE_COLLECTION].find_one({"_id": oversized.id})
    assert kept["topic"] == topic and "MessageSizeTooLarge" in kept["reason"]
    assert len(kept["value"]) > 1_200_000  # kept whole, for a re-drive once the cause is fixed
    assert db["outbox_pending"].count_documents({}) == 0
    metrics = {family.name: family for family in relay.metrics()}
    assert metrics["outbox_set_aside_events"].samples[0].value == 1
    assert metrics["outbox_pending_records"].samples[0].value == 0


def test_an_oversized_poison_is_dead_lettered_whole_enough_and_the_consumer_moves_on(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic_prefix: str
) -> None:
    topic = service_topic("commissioning", topic_prefix)
    poison = bytes(range(128, 256)) * 7_200  # ~900 KB, and not even UTF-8
    producer.send(topic, key=b"prov-x", value=poison).get(timeout=30)
    good = provider_event("prov-after")
    producer.send(topic, key=b"prov-after", value=good.to_bytes()).get(timeout=30)
    directory = ProviderDirectory(make_db("value"))
    runner = make_runner(kafka_bootstrap, producer, topic, directory)
    with running(runner.run):
        wait_until(lambda: directory.effects() == 1, what="the event after the poison applied")
    [letter] = read_dead_letters(kafka_bootstrap, dlq_topic(topic), expect=1)
    assert letter["original_topic"] == topic and letter["offset"] == 0
    assert letter["payload_truncated"] is True and letter["payload_bytes"] == len(poison)
    assert len(letter["payload"]) <= MAX_LETTER_PAYLOAD_BYTES
    assert letter["reason"].startswith("not an Acorn event envelope")
    assert runner.stats.dead_letters_by_reason == {"EnvelopeError": 1}


def test_worker_probes_say_alive_and_serve_metrics(make_db: Any, producer: KafkaProducer) -> None:
    relay = OutboxRelay(make_db("commissioning"), producer, "acorn.commissioning")
    with serving_probes(0, "relay", relay) as nothing:
        assert nothing is None  # port 0: not served
    with serving_probes(28_731, "relay", relay):
        health = requests.get("http://127.0.0.1:28731/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        relay.heartbeat -= 3600  # as if no pass had gone through for an hour
        stuck = requests.get("http://127.0.0.1:28731/healthz", timeout=5)
        assert stuck.status_code == 503 and stuck.json()["status"] == "stuck"
        metrics = requests.get("http://127.0.0.1:28731/metrics", timeout=5).text
    assert 'outbox_pending_records{topic="acorn.commissioning"} 0.0' in metrics
