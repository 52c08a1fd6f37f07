"""Acorn's events are CloudEvents 1.0 on Kafka, checked with the official SDK both ways: what the
relay sends parses as a CloudEvent in structured mode, and a CloudEvent from a standard producer,
with optional attributes and extensions Acorn does not use, is handled, not dead-lettered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings.kafka import KafkaMessage, from_structured, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from kafka import KafkaProducer

from shared.events.catalogue.commissioning import PROVIDER_REGISTERED
from shared.events.envelope import Envelope
from shared.events.topics import service_topic
from shared.kafka import make_producer, read_to_end
from shared.outbox import Outbox, OutboxRelay
from tests.shared.test_bus_integration import make_runner, provider_event
from tests.support.bus import running, wait_until
from tests.support.effects import ProviderDirectory

EXTRAS = {
    "dataschema": "https://acorn.example/schemas/provider_registered/1",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "councilregion": "southeast",
}


def test_an_acorn_event_reads_as_a_cloudevent() -> None:
    event = provider_event("prov-ce")
    message = KafkaMessage(
        headers={"content-type": b"application/cloudevents+json; charset=UTF-8"},
        key=event.partitionkey.encode(),
        value=event.to_bytes(),
    )
    parsed = from_structured(message, JSONFormat(), CloudEvent)
    assert parsed.get_id() == event.id and parsed.get_type() == PROVIDER_REGISTERED
    assert parsed.get_source() == event.source and parsed.get_subject() == "prov-ce"
    assert parsed.get_data() == event.data
    assert parsed.get_extension("correlationid") == "corr-1"


def test_a_cloudevent_with_attributes_acorn_does_not_use_is_accepted_and_kept() -> None:
    sdk_event = CloudEvent(
        attributes={
            "id": "ce-1",
            "type": PROVIDER_REGISTERED,
            "source": "/another/producer",
            "subject": "prov-sdk",
            "time": datetime(2025, 1, 6, 10, tzinfo=UTC),
            "datacontenttype": "application/json",
            **EXTRAS,
        },
        data=provider_event("prov-sdk").data,
    )
    envelope = Envelope.from_bytes(to_structured(sdk_event, JSONFormat()).value)
    assert envelope.subject == envelope.partitionkey == "prov-sdk"
    assert envelope.dataschemaversion == 1 and envelope.correlationid == ""
    assert envelope.extensions == EXTRAS
    assert Envelope.from_bytes(envelope.to_bytes()).extensions == EXTRAS


def test_the_relay_sends_the_binding_header_and_a_consumer_takes_sdk_events(
    make_db: Any, kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = service_topic("commissioning", topic_prefix)
    producer: KafkaProducer = make_producer(kafka_bootstrap)
    try:
        db = make_db("commissioning")
        ours = provider_event("prov-ours")
        Outbox(db).insert("providers", {"_id": "prov-ours", "version": 1}, [ours])
        with running(OutboxRelay(db, producer, topic).run):
            wait_until(lambda: list(read_to_end(kafka_bootstrap, topic)), what="the relayed event")
        [record] = list(read_to_end(kafka_bootstrap, topic))
        assert dict(record.headers)["content-type"].startswith(b"application/cloudevents+json")
        theirs = CloudEvent(
            attributes={
                "id": "ce-2",
                "type": PROVIDER_REGISTERED,
                "source": "/another/producer",
                "subject": "prov-theirs",
                **EXTRAS,
            },
            data=provider_event("prov-theirs").data,
        )
        message = to_structured(theirs, JSONFormat())
        producer.send(
            topic, key=b"prov-theirs", value=message.value, headers=list(message.headers.items())
        ).get(timeout=30)
        directory = ProviderDirectory(make_db("value"))
        runner = make_runner(kafka_bootstrap, producer, topic, directory)
        with running(runner.run):
            wait_until(lambda: directory.effects() == 2, what="both events applied")
        assert runner.stats.dead_lettered == 0
    finally:
        producer.close(timeout=5)
