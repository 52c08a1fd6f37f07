"""`./dev dlq`: what the system could not deliver, and re-driving it once the cause is fixed.

Two kinds of stuck work, each kept with its reason:
- **dead letters**, on `<topic>.dlq`: messages a consumer could not handle (`shared.consumer`);
- **set-aside events**, in a service database's `outbox_set_aside`: events the broker refused for
  what they are (`shared.outbox`).

`redrive` publishes the original again on its topic, as hexkit re-publishes a failed event:
a dead letter's original is read back from its topic, partition and offset (so a letter whose copy
was cut still re-drives whole); a set-aside event from where it was kept, which is removed once
the broker has acknowledged it. Consumers de-duplicate by event id, so re-driving something that
was in fact applied changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from shared.config import ServiceSettings
from shared.events.topics import PUBLISHING_SERVICES, dlq_topic, service_topic
from shared.kafka import make_producer, read_to_end
from shared.mongo import connect
from shared.outbox import CLOUDEVENTS_HEADERS, SET_ASIDE_COLLECTION

SHOWN_PAYLOAD_CHARS = 2_000


@dataclass(frozen=True)
class Letter:
    reference: str  # <dlq topic>:<partition>:<offset>
    body: dict[str, Any]


def _settings(service: str) -> ServiceSettings:
    return ServiceSettings.from_env(service, with_jwt=False)


def dead_letters(settings: ServiceSettings) -> Iterator[Letter]:
    """Every dead letter of every topic, oldest first per partition."""
    for service in PUBLISHING_SERVICES:
        topic = dlq_topic(service_topic(service, settings.topic_prefix))
        for record in read_to_end(settings.kafka_bootstrap_servers, topic):
            yield Letter(f"{topic}:{record.partition}:{record.offset}", json.loads(record.value))


def set_aside(settings: ServiceSettings) -> Iterator[tuple[str, dict[str, Any]]]:
    client = connect(settings.mongodb_uri)
    try:
        for service in PUBLISHING_SERVICES:
            database = _settings(service).database
            for record in client[database][SET_ASIDE_COLLECTION].find():
                yield service, record
    finally:
        client.close()


def list_all() -> int:
    settings = _settings("value")
    letters = list(dead_letters(settings))
    print(f"dead letters: {len(letters)}")
    for letter in letters:
        body = letter.body
        print(
            f"  {letter.reference}  {body.get('consumer')}  event {body.get('event_id')}  "
            f"from {body.get('original_topic')}:{body.get('partition')}:{body.get('offset')}\n"
            f"      {body.get('exception')}: {str(body.get('reason'))[:160]}"
        )
    kept = list(set_aside(settings))
    print(f"set-aside events: {len(kept)}")
    for service, record in kept:
        print(
            f"  {record['_id']}  {service}  {len(record['value'])} bytes  "
            f"set aside {record['set_aside_at']:%Y-%m-%d %H:%M}\n      {record['reason'][:160]}"
        )
    return 0


def show(reference: str) -> int:
    settings = _settings("value")
    for letter in dead_letters(settings):
        if reference in (letter.reference, letter.body.get("event_id")):
            shown = {**letter.body, "payload": letter.body["payload"][:SHOWN_PAYLOAD_CHARS]}
            print(json.dumps({"dead_letter": letter.reference, **shown}, indent=2))
            return 0
    for service, record in set_aside(settings):
        if record["_id"] == reference:
            value = record["value"].decode(errors="replace")[:SHOWN_PAYLOAD_CHARS]
            print(json.dumps({**record, "service": service, "value": value}, indent=2, default=str))
            return 0
    print(f"no dead letter or set-aside event {reference!r} (see ./dev dlq list)")
    return 1


def redrive(reference: str) -> int:
    settings = _settings("value")
    for letter in dead_letters(settings):
        if reference in (letter.reference, letter.body.get("event_id")):
            return _redrive_letter(settings, letter)
    for service, record in set_aside(settings):
        if record["_id"] == reference:
            return _redrive_set_aside(settings, service, record)
    print(f"no dead letter or set-aside event {reference!r} (see ./dev dlq list)")
    return 1


def _redrive_letter(settings: ServiceSettings, letter: Letter) -> int:
    body = letter.body
    partition = TopicPartition(body["original_topic"], body["partition"])
    reader = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    try:
        reader.assign([partition])
        reader.seek(partition, body["offset"])
        records = reader.poll(timeout_ms=5_000, max_records=1).get(partition, [])
    finally:
        reader.close()
    if not records or records[0].offset != body["offset"]:
        print(f"the original at {partition.topic}:{partition.partition}:{body['offset']} is gone")
        return 1
    original = records[0]
    producer = make_producer(settings.kafka_bootstrap_servers)
    try:
        producer.send(
            partition.topic, key=original.key, value=original.value, headers=original.headers
        ).get(timeout=30)
    finally:
        producer.close(timeout=10)
    print(f"re-drove {letter.reference} (event {body.get('event_id')}) to {partition.topic}")
    return 0


def _redrive_set_aside(settings: ServiceSettings, service: str, record: dict[str, Any]) -> int:
    producer = make_producer(settings.kafka_bootstrap_servers)
    try:
        producer.send(
            record["topic"],
            key=record["key"].encode(),
            value=bytes(record["value"]),
            headers=CLOUDEVENTS_HEADERS,
        ).get(timeout=30)
    except Exception as error:
        print(f"the broker still refuses {record['_id']}: {type(error).__name__}: {error}")
        return 1
    finally:
        producer.close(timeout=10)
    client = connect(settings.mongodb_uri)
    try:
        client[_settings(service).database][SET_ASIDE_COLLECTION].delete_one({"_id": record["_id"]})
    finally:
        client.close()
    print(f"re-drove set-aside event {record['_id']} to {record['topic']}")
    return 0
