"""The outcomes stack for integration tests: the API (Flask test client) on its own database, its
consumer and outbox relay in threads, and a producer publishing commissioning-shaped enrolment
events on the commissioning topic as the commissioning service would.

The stack is built once per module (a consumer group takes seconds to join); tests keep apart by
using their own provider ids and child refs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pymongo import MongoClient
from pymongo.database import Database

from services.outcomes.entrypoints.api import create_app
from services.outcomes.entrypoints.consumer import OutcomesRunner, build_runner
from services.outcomes.settings import EXTRAS
from shared.config import ServiceSettings
from shared.events.catalogue.commissioning import (
    CHILD_ENROLLED,
    ENROLMENT_ENDED,
    INTERVENTION_COMMISSIONED,
)
from shared.events.envelope import Envelope
from shared.events.topics import all_topics, service_topic
from shared.kafka import DEFAULT_PARTITIONS, ensure_topics, make_producer
from shared.outbox import OutboxRelay
from tests.support.bus import running, wait_until
from tests.support.identity import unique_name
from tests.support.services import service_environment

GRACE_DAYS = 30
BASELINE_DAYS = 30
BATCH_LIMIT = 50


@dataclass
class Stack:
    client: FlaskClient
    db: Database[dict[str, Any]]
    producer: KafkaProducer
    bootstrap: str
    prefix: str
    env: dict[str, str]
    reader: KafkaConsumer
    seen: dict[str, Envelope]
    runner: OutcomesRunner

    def publish_enrolment(
        self,
        *,
        provider_id: str,
        child_ref: str,
        start: date,
        end: date | None = None,
        version: int = 1,
        enrolment_id: str | None = None,
        intervention_id: str = "int-1",
    ) -> str:
        """Publish a `child_enrolled` (open) or `enrolment_ended` (with `end`) snapshot."""
        enrolment_id = enrolment_id or f"enr-{uuid.uuid4().hex[:8]}"
        event = Envelope(
            type=ENROLMENT_ENDED if end else CHILD_ENROLLED,
            source="acorn/commissioning",
            subject=enrolment_id,
            data={
                "enrolment": {
                    "enrolment_id": enrolment_id,
                    "intervention_id": intervention_id,
                    "provider_id": provider_id,
                    "child_ref": child_ref,
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat() if end else None,
                    "end_reason": "plan completed" if end else None,
                    "status": "ended" if end else "enrolled",
                    "version": version,
                }
            },
        )
        topic = service_topic("commissioning", self.prefix)
        self.producer.send(topic, key=enrolment_id.encode(), value=event.to_bytes()).get(10)
        return enrolment_id

    def publish_intervention(
        self,
        *,
        provider_id: str,
        target_indicators: list[str],
        intervention_id: str | None = None,
        version: int = 1,
    ) -> str:
        """Publish an `intervention_commissioned` snapshot naming what it targets."""
        intervention_id = intervention_id or f"int-{uuid.uuid4().hex[:8]}"
        intervention = {
            "intervention_id": intervention_id,
            "provider_id": provider_id,
            "title": "Mentoring",
            "category": "education_support",
            "pricing_model": "per_child_week",
            "prices": [{"effective_from": "2025-04-01", "unit_price_pence": 12000}],
            "capacity": 10,
            "start_date": "2025-04-01",
            "end_date": "2026-03-31",
            "budget_pence": 6_000_000,
            "target_indicators": target_indicators,
            "status": "draft",
            "version": version,
        }
        event = Envelope(
            type=INTERVENTION_COMMISSIONED,
            source="acorn/commissioning",
            subject=intervention_id,
            data={"intervention": intervention, "effective_date": "2025-04-01"},
        )
        topic = service_topic("commissioning", self.prefix)
        self.producer.send(topic, key=intervention_id.encode(), value=event.to_bytes()).get(10)
        return intervention_id

    def wait_for_enrolment(self, provider_id: str, child_ref: str, enrolment_id: str, version: int):
        def stored() -> bool:
            document = self.db.provider_children.find_one({"_id": f"{provider_id}:{child_ref}"})
            entries = (document or {}).get("enrolments", {}).values()
            return any(
                e["enrolment_id"] == enrolment_id and e["version"] == version for e in entries
            )

        wait_until(stored, what=f"enrolment {enrolment_id} v{version} in the projection")

    def enrol(self, provider_id: str, child_ref: str, start: date, end: date | None = None) -> str:
        enrolment_id = self.publish_enrolment(
            provider_id=provider_id, child_ref=child_ref, start=start, end=end
        )
        self.wait_for_enrolment(provider_id, child_ref, enrolment_id, 1)
        return enrolment_id

    def events_for(self, key: str, *, expect: int) -> list[Envelope]:
        """The distinct outcomes events with partition key `key`, once `expect` have arrived;
        checks that the Kafka message key is the partition key.

        Delivery is at least once (a relay may publish an event again; consumers de-duplicate by
        event id), so events are told apart by id, as a consumer would.
        """

        def arrived() -> list[Envelope]:
            for records in self.reader.poll(timeout_ms=200).values():
                for record in records:
                    event = Envelope.from_bytes(record.value)
                    assert record.key == event.partitionkey.encode()
                    self.seen.setdefault(event.id, event)
            found = [event for event in self.seen.values() if event.partitionkey == key]
            return found if len(found) >= expect else []

        return wait_until(arrived, what=f"{expect} events keyed {key}")


@contextmanager
def outcomes_app(env: dict[str, str]) -> Iterator[FlaskClient]:
    """A test client of a second outcomes app; its database client is closed afterwards."""
    app = create_app(outcomes_settings(env))
    try:
        yield app.test_client()
    finally:
        app.extensions["acorn_runtime"].client.close()


def outcomes_settings(env: dict[str, str], *, with_jwt: bool = True) -> ServiceSettings:
    return ServiceSettings.from_env("outcomes", extras=EXTRAS, environ=env, with_jwt=with_jwt)


@pytest.fixture(scope="module")
def stack(
    mongo_uri: str, kafka_bootstrap: str, mongo_client: MongoClient[dict[str, Any]]
) -> Iterator[Stack]:
    prefix = f"{unique_name('t')}."
    ensure_topics(kafka_bootstrap, all_topics(prefix))
    env = service_environment(
        "outcomes",
        mongo_uri=mongo_uri,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        ACORN_OUTCOMES_ENROLMENT_GRACE_DAYS=str(GRACE_DAYS),
        ACORN_OUTCOMES_BASELINE_DAYS=str(BASELINE_DAYS),
        ACORN_OUTCOMES_BATCH_LIMIT=str(BATCH_LIMIT),
    )
    db = mongo_client[env["ACORN_OUTCOMES_DB"]]
    producer = make_producer(kafka_bootstrap)
    runner = build_runner(outcomes_settings(env, with_jwt=False))
    relay = OutboxRelay(db, producer, service_topic("outcomes", prefix))
    with ExitStack() as workers:
        workers.enter_context(running(runner.run))
        workers.enter_context(running(relay.run))
        app = create_app(outcomes_settings(env))
        workers.callback(app.extensions["acorn_runtime"].client.close)
        reader = KafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
        topic = service_topic("outcomes", prefix)
        reader.assign([TopicPartition(topic, p) for p in range(DEFAULT_PARTITIONS)])
        reader.seek_to_beginning()
        workers.callback(reader.close)
        yield Stack(
            app.test_client(), db, producer, kafka_bootstrap, prefix, env, reader, {}, runner
        )
    producer.close(timeout=5)
    mongo_client.drop_database(env["ACORN_OUTCOMES_DB"])


@pytest.fixture
def ids() -> Callable[[str], str]:
    """Unique ids for one test: `ids("child")` -> `child-3f2a...`."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:10]}"
