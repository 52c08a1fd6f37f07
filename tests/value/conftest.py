"""Fixtures for the value service against the real broker and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from kafka import KafkaProducer

from services.value.adapters.readmodel import ReadModel
from services.value.entrypoints.api import create_app
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

    def runner(self, **kwargs: Any) -> ConsumerRunner:
        """A read-model consumer sharing the API's database client."""
        return build_runner(self.worker_settings(), runtime=self.runtime, **kwargs)


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
    app = create_app(settings)

    def publish(service: str, events: list[Envelope]) -> None:
        topic = service_topic(service, topic_prefix)
        for event in events:
            producer.send(topic, key=event.partitionkey.encode(), value=event.to_bytes())
        producer.flush(timeout=30)

    runtime: ServiceRuntime = app.extensions["acorn"].runtime
    yield ValueService(
        settings=settings,
        client=app.test_client(),
        read_model=app.extensions["acorn"].read_model,
        publish=publish,
        environ=environ,
        runtime=runtime,
    )
    runtime.client.close()


@pytest.fixture
def consuming(value_service: ValueService) -> Iterator[ConsumerRunner]:
    """The read-model consumer running for the duration of the test."""
    runner = value_service.runner()
    with running(runner.run):
        yield runner
    runner.producer.close(timeout=5)
