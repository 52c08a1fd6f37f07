"""Ledger test fixtures: the handlers over in-memory fakes with a fixed clock, and the service
on the real database and broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from kafka import KafkaProducer

from services.ledger.bootstrap import fake_ledger, mongo_ledger
from services.ledger.entrypoints.api import create_app
from services.ledger.entrypoints.consumer import build_runner
from services.ledger.service_layer.handlers import Ledger
from services.ledger.settings import EXTRAS, SERVICE
from shared.config import ServiceSettings
from shared.consumer import ConsumerRunner
from shared.events.envelope import Envelope
from shared.kafka import make_producer
from shared.runtime import ServiceRuntime
from tests.ledger.builders import FIXED_NOW
from tests.support.bus import running


@pytest.fixture
def ledger() -> Ledger:
    return fake_ledger(clock=lambda: FIXED_NOW)


@dataclass
class LedgerStack:
    settings: ServiceSettings
    runtime: ServiceRuntime
    ledger: Ledger
    app: Flask
    client: FlaskClient


@pytest.fixture
def stack(service_env: Callable[..., dict[str, str]]) -> Iterator[LedgerStack]:
    settings = ServiceSettings.from_env(SERVICE, extras=EXTRAS, environ=service_env(SERVICE))
    runtime = ServiceRuntime.connect(settings)
    app = create_app(settings)
    yield LedgerStack(settings, runtime, mongo_ledger(runtime), app, app.test_client())
    app.extensions["acorn"].runtime.client.close()
    runtime.client.close()


def problem_fields(response: Any) -> set[str]:
    return {error["field"] for error in response.get_json().get("errors", [])}


@pytest.fixture
def producer(kafka_bootstrap: str) -> Iterator[KafkaProducer]:
    producer = make_producer(kafka_bootstrap)
    yield producer
    producer.close(timeout=5)


@pytest.fixture
def consumer(stack: LedgerStack) -> Iterator[ConsumerRunner]:
    runner = build_runner(stack.settings, stack.runtime)
    with running(runner.run):
        yield runner
    runner.producer.close(timeout=5)


def publish(producer: KafkaProducer, stack: LedgerStack, *events: Envelope) -> None:
    topic = stack.runtime.topic("commissioning")
    for event in events:
        producer.send(topic, key=event.partitionkey.encode(), value=event.to_bytes()).get(
            timeout=10
        )
