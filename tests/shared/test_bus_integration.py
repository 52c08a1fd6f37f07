"""The outbox, relay and consumer runner on the real broker and database."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from kafka import KafkaProducer
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.consumer import ConsumerRunner
from shared.events.catalogue.commissioning import PROVIDER_REGISTERED, PROVIDER_UPDATED
from shared.events.envelope import Envelope
from shared.events.topics import dlq_topic, service_topic
from shared.kafka import make_consumer, make_producer
from shared.mongo import unpacked_json
from shared.outbox import (
    OUTBOX_FIELD,
    PENDING_COLLECTION,
    READY_COLLECTION,
    Outbox,
    OutboxRelay,
    pending_record,
)
from tests.support.bus import read_dead_letters, read_topic, running, wait_until
from tests.support.effects import ProviderDirectory

pytestmark = pytest.mark.integration


def provider_event(
    provider_id: str, version: int = 1, type_: str = PROVIDER_REGISTERED
) -> Envelope:
    return Envelope(
        type=type_,
        source="acorn/commissioning",
        subject=provider_id,
        data={
            "provider_id": provider_id,
            "name": "Oak Fostering",
            "kind": "independent",
            "ofsted_urn": None,
            "status": "active",
            "version": version,
        },
        correlationid="corr-1",
    )


def register_provider(outbox: Outbox, provider_id: str) -> Envelope:
    event = provider_event(provider_id)
    outbox.insert("providers", {"_id": provider_id, "version": 1}, [event])
    return event


@pytest.fixture
def producer(kafka_bootstrap: str) -> KafkaProducer:
    producer = make_producer(kafka_bootstrap)
    yield producer
    producer.close(timeout=5)


@pytest.fixture
def topic(topic_prefix: str) -> str:
    return service_topic("commissioning", topic_prefix)


def make_runner(
    kafka_bootstrap: str,
    producer: KafkaProducer,
    topic: str,
    directory: ProviderDirectory,
    group: str | None = None,
) -> ConsumerRunner:
    consumer = make_consumer(kafka_bootstrap, group or f"g-{uuid.uuid4().hex}", [topic])
    return ConsumerRunner(
        consumer=consumer,
        producer=producer,
        name="test-directory",
        handlers={PROVIDER_REGISTERED: directory.handle, PROVIDER_UPDATED: directory.handle},
    )


def test_event_reaches_a_consumer_in_another_service_with_one_effect(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic: str
) -> None:
    source_db, sink_db = make_db("commissioning"), make_db("value")
    outbox = Outbox(source_db)
    event = register_provider(outbox, "prov-a")
    directory = ProviderDirectory(sink_db)
    relay = OutboxRelay(source_db, producer, topic)
    runner = make_runner(kafka_bootstrap, producer, topic, directory)
    with running(relay.run), running(runner.run):
        wait_until(lambda: directory.effects() == 1, what="the consumer's effect")
    assert sink_db.applied.find_one({"_id": event.id})["provider_id"] == "prov-a"
    assert source_db[PENDING_COLLECTION].count_documents({}) == 0
    # the relay never writes to the document: it keeps the ids of the events its change raised
    assert source_db.providers.find_one({"_id": "prov-a"})[OUTBOX_FIELD] == [event.id]
    assert source_db[READY_COLLECTION].count_documents({}) == 0
    [(key, value)] = read_topic(kafka_bootstrap, topic, expect=1)
    assert key == b"prov-a"
    assert Envelope.from_bytes(value) == event


def test_relay_killed_between_publishing_and_marking_delivers_twice_with_one_effect(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic: str
) -> None:
    source_db, sink_db = make_db("commissioning"), make_db("value")
    register_provider(Outbox(source_db), "prov-b")
    crashed = OutboxRelay(source_db, producer, topic)
    crashed.send(crashed.ready_batch().events)  # the broker has it; the relay dies before finishing

    restarted = OutboxRelay(source_db, producer, topic)
    assert restarted.relay_pending() == 1  # at start it republishes what is still pending
    assert len(read_topic(kafka_bootstrap, topic, expect=2)) == 2

    directory = ProviderDirectory(sink_db)
    runner = make_runner(kafka_bootstrap, producer, topic, directory)
    with running(runner.run):
        wait_until(lambda: runner.stats.handled == 2, what="both deliveries handled")
    assert directory.effects() == 1


def test_changes_are_published_in_the_order_they_were_written(
    db: Database, producer: KafkaProducer, kafka_bootstrap: str, topic: str
) -> None:
    outbox = Outbox(db)
    for version in (1, 2, 3):  # revisions of one provider, each an insert of its own
        event = provider_event("prov-c", version, PROVIDER_UPDATED)
        outbox.insert("provider_revisions", {"_id": f"prov-c@{version}"}, [event])
    assert OutboxRelay(db, producer, topic).relay_pending() == 3
    events = [Envelope.from_bytes(v) for _, v in read_topic(kafka_bootstrap, topic, expect=3)]
    assert [e.data["version"] for e in events] == [1, 2, 3]


def test_a_write_that_loses_its_race_announces_nothing(
    db: Database, producer: KafkaProducer, kafka_bootstrap: str, topic: str
) -> None:
    outbox = Outbox(db)
    register_provider(outbox, "prov-k")
    with pytest.raises(DuplicateKeyError):
        register_provider(outbox, "prov-k")
    assert db[PENDING_COLLECTION].count_documents({}) == 1
    assert OutboxRelay(db, producer, topic).relay_pending() == 1
    assert len(read_topic(kafka_bootstrap, topic, expect=1)) == 1


def test_a_crash_before_the_document_is_written_leaves_an_orphan_the_relay_drops(
    db: Database, producer: KafkaProducer, topic: str
) -> None:
    event = provider_event("prov-l")
    db[PENDING_COLLECTION].insert_one(  # step 1 of a write whose step 2 never happened
        pending_record("providers", [({"_id": "prov-l"}, [event])], a_minute_ago())
    )
    patient = OutboxRelay(db, producer, topic, orphan_grace=300)
    assert patient.relay_pending() == 0
    assert db[PENDING_COLLECTION].count_documents({}) == 1  # the write may still be in flight
    impatient = OutboxRelay(db, producer, topic, orphan_grace=30)
    assert impatient.relay_pending() == 0
    assert db[PENDING_COLLECTION].count_documents({}) == 0


def test_a_crash_after_the_document_is_written_publishes_once_the_grace_period_is_over(
    db: Database, producer: KafkaProducer, kafka_bootstrap: str, topic: str
) -> None:
    event = provider_event("prov-m")
    # steps 1 and 2 of a write that died before marking itself ready
    db[PENDING_COLLECTION].insert_one(
        pending_record("providers", [({"_id": "prov-m"}, [event])], a_minute_ago())
    )
    db.providers.insert_one({"_id": "prov-m", OUTBOX_FIELD: [event.id]})
    assert OutboxRelay(db, producer, topic, orphan_grace=300).relay_pending() == 0
    assert OutboxRelay(db, producer, topic, orphan_grace=30).relay_pending() == 1
    [(key, value)] = read_topic(kafka_bootstrap, topic, expect=1)
    assert (key, Envelope.from_bytes(value)) == (b"prov-m", event)
    assert db[PENDING_COLLECTION].count_documents({}) == 0


def test_a_record_written_before_events_were_packed_is_still_published(
    db: Database, producer: KafkaProducer, kafka_bootstrap: str, topic: str
) -> None:
    event = provider_event("prov-t")
    record = pending_record("providers", [({"_id": "prov-t"}, [event])])
    # as written before pending records' events were packed: a plain JSON text
    record["events"] = orjson.dumps(unpacked_json(record["events"])).decode()
    db[PENDING_COLLECTION].insert_one(record)
    db.providers.insert_one({"_id": "prov-t", OUTBOX_FIELD: [event.id]})
    db[READY_COLLECTION].insert_one({"_id": record["_id"], "failed": []})
    assert OutboxRelay(db, producer, topic).relay_pending() == 1
    [(key, value)] = read_topic(kafka_bootstrap, topic, expect=1)
    assert (key, Envelope.from_bytes(value)) == (b"prov-t", event)


def test_a_bulk_write_with_some_ids_taken_announces_only_the_documents_it_wrote(
    db: Database, producer: KafkaProducer, kafka_bootstrap: str, topic: str
) -> None:
    outbox = Outbox(db)
    register_provider(outbox, "prov-n")
    fresh, taken = provider_event("prov-o"), provider_event("prov-n")
    with pytest.raises(BulkWriteError):
        outbox.insert_many(
            "providers", [({"_id": "prov-o"}, [fresh]), ({"_id": "prov-n"}, [taken])]
        )
    assert OutboxRelay(db, producer, topic).relay_pending() == 2  # prov-n's first write, prov-o
    published = [Envelope.from_bytes(v).id for _, v in read_topic(kafka_bootstrap, topic, expect=2)]
    assert fresh.id in published
    assert taken.id not in published


def a_minute_ago() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=60)


def test_outbox_refuses_invalid_payloads_and_writes_nothing(db: Database) -> None:
    bad = provider_event("prov-d")
    bad.data["kind"] = "pirate"
    with pytest.raises(ValueError, match="kind"):
        Outbox(db).insert("providers", {"_id": "prov-d"}, [bad])
    assert db.providers.count_documents({}) == 0


def test_poison_message_goes_to_the_dlq_and_the_consumer_carries_on(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic: str
) -> None:
    sink_db = make_db("value")
    good_before, good_after = provider_event("prov-e"), provider_event("prov-f")
    wrong_version = replace(provider_event("prov-g"), dataschemaversion=9)
    for payload in (
        good_before.to_bytes(),
        b"{not json",
        wrong_version.to_bytes(),
        good_after.to_bytes(),
    ):
        producer.send(topic, key=b"k", value=payload)
    producer.flush()

    directory = ProviderDirectory(sink_db)
    runner = make_runner(kafka_bootstrap, producer, topic, directory)
    with running(runner.run):
        wait_until(lambda: directory.effects() == 2, what="both good events applied")
    letters = read_dead_letters(kafka_bootstrap, dlq_topic(topic), expect=2)
    assert {letter["offset"] for letter in letters} == {1, 2}
    by_offset = {letter["offset"]: letter for letter in letters}
    assert "not JSON" in by_offset[1]["reason"]
    assert by_offset[1]["event_id"] is None  # not even an envelope: no id to give
    assert by_offset[2]["event_id"] == wrong_version.id
    assert "version 9" in by_offset[2]["reason"]
    for letter in letters:
        assert letter["original_topic"] == topic
        assert letter["partition"] is not None


def test_a_handler_failure_is_dead_lettered_with_the_event_id(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic: str
) -> None:
    event = provider_event("prov-h")
    producer.send(topic, key=b"prov-h", value=event.to_bytes()).get(timeout=10)

    def explode(_: Envelope) -> None:
        raise ValueError("intervention unknown to this projection")

    runner = ConsumerRunner(
        consumer=make_consumer(kafka_bootstrap, f"g-{uuid.uuid4().hex}", [topic]),
        producer=producer,
        name="exploding",
        handlers={PROVIDER_REGISTERED: explode},
    )
    with running(runner.run):
        wait_until(lambda: runner.stats.dead_lettered == 1, what="the dead letter")
    [letter] = read_dead_letters(kafka_bootstrap, dlq_topic(topic), expect=1)
    assert letter["event_id"] == event.id
    assert letter["exception"] == "ValueError"
    assert "intervention unknown" in letter["reason"]


def test_a_group_started_after_the_events_still_sees_them_all(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic: str
) -> None:
    source_db, sink_db = make_db("commissioning"), make_db("value")
    outbox = Outbox(source_db)
    for index in range(20):
        register_provider(outbox, f"prov-late-{index}")
    relay = OutboxRelay(source_db, producer, topic)
    while relay.relay_pending():
        pass
    read_topic(kafka_bootstrap, topic, expect=20)  # all published before the group exists

    directory = ProviderDirectory(sink_db)
    runner = make_runner(kafka_bootstrap, producer, topic, directory, group="joins-late")
    with running(runner.run):
        wait_until(lambda: directory.effects() == 20, what="all 20 earlier events")


def test_transient_failures_are_retried_not_dead_lettered(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic: str
) -> None:
    from shared.consumer import TransientError

    sink_db = make_db("value")
    directory = ProviderDirectory(sink_db)
    failures = iter([TransientError("db away"), TransientError("still away")])

    def flaky(event: Envelope) -> None:
        failure = next(failures, None)
        if failure:
            raise failure
        directory.handle(event)

    producer.send(topic, key=b"p", value=provider_event("prov-i").to_bytes()).get(timeout=10)
    runner = ConsumerRunner(
        consumer=make_consumer(kafka_bootstrap, f"g-{uuid.uuid4().hex}", [topic]),
        producer=producer,
        name="flaky",
        handlers={PROVIDER_REGISTERED: flaky},
        initial_backoff=0.05,
    )
    with running(runner.run):
        wait_until(lambda: directory.effects() == 1, what="the effect after retries")
    assert runner.stats.dead_lettered == 0


def test_offsets_are_committed_only_after_the_effect(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic: str
) -> None:
    """A runner stopped while its handler keeps failing commits nothing: the event comes again."""
    from shared.consumer import TransientError

    sink_db = make_db("value")
    producer.send(topic, key=b"p", value=provider_event("prov-j").to_bytes()).get(timeout=10)

    def always_down(_: Envelope) -> None:
        raise TransientError("database unreachable")

    group = f"g-{uuid.uuid4().hex}"
    failing = ConsumerRunner(
        consumer=make_consumer(kafka_bootstrap, group, [topic]),
        producer=producer,
        name="down",
        handlers={PROVIDER_REGISTERED: always_down},
        initial_backoff=0.05,
    )
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    failing.run(stop)

    directory = ProviderDirectory(sink_db)
    runner = make_runner(kafka_bootstrap, producer, topic, directory, group=group)
    with running(runner.run):
        wait_until(lambda: directory.effects() == 1, what="the redelivered event")


def test_a_batch_handler_gets_a_poll_at_once_and_a_failing_batch_isolates_the_poison(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic: str
) -> None:
    sink_db = make_db("value")
    directory = ProviderDirectory(sink_db)
    poison = provider_event("prov-bad")
    wrong_version = replace(provider_event("prov-v9"), dataschemaversion=9)
    for payload in (
        provider_event("prov-k").to_bytes(),
        b"{not json",
        poison.to_bytes(),
        wrong_version.to_bytes(),
        provider_event("prov-l").to_bytes(),
        provider_event("prov-m").to_bytes(),
    ):
        producer.send(topic, key=b"k", value=payload)
    producer.flush()
    batches: list[list[str]] = []

    def apply_batch(events: list[Envelope]) -> None:
        batches.append([event.subject for event in events])
        for event in events:  # effects before the failure stay: they are idempotent
            if event.subject == "prov-bad":
                raise ValueError("a provider this projection cannot take")
            directory.handle(event)

    runner = ConsumerRunner(
        consumer=make_consumer(kafka_bootstrap, f"g-{uuid.uuid4().hex}", [topic]),
        producer=producer,
        name="batching",
        handlers={PROVIDER_REGISTERED: lambda event: apply_batch([event])},
        batch_handler=apply_batch,
    )
    with running(runner.run):
        wait_until(lambda: runner.stats.dead_lettered == 3, what="three dead letters")
        wait_until(lambda: directory.effects() == 3, what="the three good events applied")
    assert ["prov-k", "prov-bad", "prov-l", "prov-m"] in batches  # one poll, one call
    assert runner.stats.handled == 3
    letters = read_dead_letters(kafka_bootstrap, dlq_topic(topic), expect=3)
    by_offset = {letter["offset"]: letter for letter in letters}
    assert sorted(by_offset) == [1, 2, 3]
    assert by_offset[1]["event_id"] is None
    assert (by_offset[2]["event_id"], by_offset[2]["exception"]) == (poison.id, "ValueError")
    assert "cannot take" in by_offset[2]["reason"]
    assert by_offset[3]["event_id"] == wrong_version.id


def test_a_batch_is_retried_on_transient_failures_and_committed_after_its_effects(
    make_db: Any, kafka_bootstrap: str, producer: KafkaProducer, topic: str
) -> None:
    from shared.consumer import TransientError

    sink_db = make_db("value")
    directory = ProviderDirectory(sink_db)
    for index in range(3):
        producer.send(topic, key=b"p", value=provider_event(f"prov-t{index}").to_bytes())
    producer.flush()
    group = f"g-{uuid.uuid4().hex}"

    def batching(apply_batch: Any) -> ConsumerRunner:
        return ConsumerRunner(
            consumer=make_consumer(kafka_bootstrap, group, [topic]),
            producer=producer,
            name="batching",
            handlers={PROVIDER_REGISTERED: directory.handle},
            batch_handler=apply_batch,
            initial_backoff=0.05,
        )

    def always_down(_: list[Envelope]) -> None:
        raise TransientError("database unreachable")

    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    batching(always_down).run(stop)  # stopped while retrying: nothing committed

    failures = iter([TransientError("db away"), TransientError("still away")])

    def flaky(events: list[Envelope]) -> None:
        failure = next(failures, None)
        if failure:
            raise failure
        for event in events:
            directory.handle(event)

    runner = batching(flaky)
    with running(runner.run):
        wait_until(lambda: directory.effects() == 3, what="the redelivered batch after retries")
    assert runner.stats.dead_lettered == 0
