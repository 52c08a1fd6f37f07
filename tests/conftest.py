"""Fixtures shared by every test: real infrastructure, isolated per test, and tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from shared.auth import mint_token
from shared.events.topics import all_topics
from shared.kafka import delete_topics, ensure_topics
from shared.mongo import connect
from tests.support.identity import TEST_JWT, unique_name
from tests.support.infrastructure import kafka_bootstrap_servers, mongodb_uri

pytest_plugins = ["tests.support.services"]


@pytest.fixture(scope="session")
def mongo_uri() -> Iterator[str]:
    with mongodb_uri() as uri:
        yield uri


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with kafka_bootstrap_servers() as servers:
        yield servers


@pytest.fixture(scope="session")
def mongo_client(mongo_uri: str) -> Iterator[MongoClient[dict[str, Any]]]:
    client = connect(mongo_uri)
    yield client
    client.close()


@pytest.fixture
def make_db(mongo_client: MongoClient[dict[str, Any]]) -> Iterator[Callable[[str], Database]]:
    """Databases of their own for one test, dropped afterwards."""
    created: list[str] = []

    def make(purpose: str = "db") -> Database[dict[str, Any]]:
        name = unique_name(f"t_{purpose}")
        created.append(name)
        return mongo_client[name]

    yield make
    for name in created:
        mongo_client.drop_database(name)


@pytest.fixture
def db(make_db: Callable[[str], Database]) -> Database[dict[str, Any]]:
    return make_db("db")


@pytest.fixture
def topic_prefix(kafka_bootstrap: str) -> Iterator[str]:
    """A topic namespace of this test's own, with every Acorn topic created in it."""
    prefix = f"{unique_name('t')}."
    ensure_topics(kafka_bootstrap, all_topics(prefix))
    yield prefix
    delete_topics(kafka_bootstrap, all_topics(prefix))


@pytest.fixture
def token() -> Callable[..., str]:
    def mint(role: str, *, provider_id: str | None = None, subject: str | None = None) -> str:
        return mint_token(
            TEST_JWT, roles=[role], provider_id=provider_id, subject=subject or f"user-{role}"
        )

    return mint


@pytest.fixture
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Headers for a request as `role` (and provider), with a fresh Idempotency-Key."""

    def headers(
        role: str,
        *,
        provider_id: str | None = None,
        key: str | None = None,
        subject: str | None = None,
    ) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token(role, provider_id=provider_id, subject=subject)}",
            "Idempotency-Key": key or str(uuid.uuid4()),
        }

    return headers


# What makes a test need the real broker or database: any of these among its fixtures.
_INFRASTRUCTURE = {"mongo_uri", "kafka_bootstrap"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reaches the real broker or database `integration`, so that
    `pytest -m "not integration"` is the fast subset that needs neither."""
    for item in items:
        if _INFRASTRUCTURE & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
