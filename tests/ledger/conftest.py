"""Ledger test fixtures: the handlers over in-memory fakes with a fixed clock, and the service
on the real database and broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.ledger.bootstrap import fake_ledger, mongo_ledger
from services.ledger.entrypoints.api import create_app
from services.ledger.service_layer.handlers import Ledger
from services.ledger.settings import EXTRAS, SERVICE
from shared.config import ServiceSettings
from shared.runtime import ServiceRuntime
from tests.ledger.builders import FIXED_NOW


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
