"""Building a service for a test: its own database, the test's topic namespace, test tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
