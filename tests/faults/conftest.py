"""Each service's app on the real database, for probing its edge with bad input."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient

from shared.config import ServiceSettings

SERVICES = ("commissioning", "outcomes", "ledger", "value")


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
