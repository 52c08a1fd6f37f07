"""Fixtures for the value service against the real broker and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from kafka import KafkaProducer

from services.value.adapters.readmodel import ReadModel
from services.value.adapters.store import FactStore
from services.value.entrypoints.api import create_service_app_for
from services.value.entrypoints.consumer import build_runner
from services.value.settings import EXTRAS, SERVICE
from shared.config import ServiceSettings
from shared.consumer import ConsumerRunner
from shared.events.envelope import Envelope
from shared.events.topics import service_topic
from shared.kafka import make_producer
from shared.runtime import ServiceRuntime
from tests.support.bus import running


@dataclass
class ValueService:
    """The API (a test client), its read model, and how to publish as the other services do."""

    settings: ServiceSettings
    environ: dict[str, str]
    runtime: ServiceRuntime
    client: FlaskClient
    read_model: ReadModel
    publish: Callable[[str, list[Envelope]], None]

    def worker_settings(self) -> ServiceSettings:
        return ServiceSettings.from_env(
            SERVICE, extras=EXTRAS, environ=self.environ, with_jwt=False
        )

    def runner(self) -> ConsumerRunner:
        """A read-model consumer writing into the API's read model."""
        return build_runner(self.worker_settings(), self.read_model)


@pytest.fixture
def producer(kafka_bootstrap: str) -> Iterator[KafkaProducer]:
    producer = make_producer(kafka_bootstrap)
    yield producer
    producer.close(timeout=5)


@pytest.fixture
def value_service(
    service_env: Callable[..., dict[str, str]], producer: KafkaProducer, topic_prefix: str
) -> Iterator[ValueService]:
    environ = service_env(SERVICE, ACORN_VALUE_SUPPRESSION_THRESHOLD="0")
    settings = ServiceSettings.from_env(SERVICE, extras=EXTRAS, environ=environ)
    runtime = ServiceRuntime.connect(settings)
    read_model = ReadModel(FactStore())
    app = create_service_app_for(runtime, settings, read_model)

    def publish(service: str, events: list[Envelope]) -> None:
        topic = service_topic(service, topic_prefix)
        for event in events:
            producer.send(topic, key=event.partitionkey.encode(), value=event.to_bytes())
        producer.flush(timeout=30)

    yield ValueService(
        settings=settings,
        client=app.test_client(),
        read_model=read_model,
        publish=publish,
        environ=environ,
        runtime=runtime,
    )
    runtime.client.close()
    read_model.store.close()


@pytest.fixture
def consuming(value_service: ValueService) -> Iterator[ConsumerRunner]:
    """The read-model consumer running for the duration of the test."""
    runner = value_service.runner()
    with running(runner.run):
        yield runner
    runner.producer.close(timeout=5)
