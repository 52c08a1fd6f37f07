"""The whole system as processes for the end-to-end tests (tests/support/system.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient

from tests.support.system import RunningSystem, running_system


@pytest.fixture(scope="module")
def system(
    mongo_uri: str, kafka_bootstrap: str, mongo_client: MongoClient[dict[str, Any]]
) -> Iterator[RunningSystem]:
    with running_system(
        mongo_uri=mongo_uri, kafka_bootstrap=kafka_bootstrap, mongo_client=mongo_client, name="e2e"
    ) as running:
        yield running
