"""Building a service for a test: its own database, the test's topic namespace, test tokens."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.config import ServiceSettings
from tests.support.identity import TEST_JWT, unique_name


def service_environment(
    service: str, *, mongo_uri: str, kafka_bootstrap: str, topic_prefix: str, **extra: str
) -> dict[str, str]:
    """The environment a service process would see, isolated for one test."""
    return {
        "MONGODB_URI": mongo_uri,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "ACORN_TOPIC_PREFIX": topic_prefix,
        f"ACORN_{service.upper()}_DB": unique_name(f"t_{service}"),
        "ACORN_JWT_SECRET": TEST_JWT.secret or "",
        "ACORN_JWT_ISSUER": TEST_JWT.issuer,
        "ACORN_JWT_AUDIENCE": TEST_JWT.audience,
        **extra,
    }


@pytest.fixture
def service_env(
    mongo_uri: str, kafka_bootstrap: str, topic_prefix: str, mongo_client: Any
) -> Callable[..., dict[str, str]]:
    """`service_env("ledger", ACORN_SOMETHING="1")`: an isolated environment; dropped afterwards."""
    made: list[str] = []

    def make(service: str, **extra: str) -> dict[str, str]:
        env = service_environment(
            service,
            mongo_uri=mongo_uri,
            kafka_bootstrap=kafka_bootstrap,
            topic_prefix=topic_prefix,
            **extra,
        )
        made.append(env[f"ACORN_{service.upper()}_DB"])
        return env

    yield make
    for database in made:
        mongo_client.drop_database(database)


@pytest.fixture
def client_of(service_env: Callable[..., dict[str, str]]) -> Iterator[Callable[[str], FlaskClient]]:
    """`client_of("ledger")`: a test client of that service's app, on databases of its own."""
    closers = []

    def make(service: str) -> FlaskClient:
        settings_module = importlib.import_module(f"services.{service}.settings")
        api = importlib.import_module(f"services.{service}.entrypoints.api")
        settings = ServiceSettings.from_env(
            service, extras=settings_module.EXTRAS, environ=service_env(service)
        )
        app = api.create_app(settings)
        closers.append(app)
        return app.test_client()

    yield make
    for app in closers:
        runtime = app.extensions.get("acorn_runtime") or getattr(
            app.extensions["acorn"], "runtime", None
        )
        if runtime is not None:
            runtime.client.close()
