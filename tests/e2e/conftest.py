"""The whole system as processes: four gunicorn APIs, their relays and consumers.

Started with the project's own stack definition (deploy/stack.py), on ports 18001-18004 so a
developer's `./dev up` can keep running (`ACORN_E2E_PORT_OFFSET` moves them, so two checkouts can
run their suites side by side), with databases and topics of its own for each test
module, so one module's data never shows in another's reports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from deploy import processes, stack
from shared.events.topics import all_topics
from shared.kafka import delete_topics, ensure_topics
from tests.support.identity import TEST_JWT, unique_name

PORT_OFFSET = int(os.environ.get("ACORN_E2E_PORT_OFFSET", "10000"))


@dataclass(frozen=True)
class RunningSystem:
    urls: dict[str, str]
    # where its data goes: what a test of data minimisation searches
    databases: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)


@pytest.fixture(scope="module")
def system(
    mongo_uri: str, kafka_bootstrap: str, mongo_client: MongoClient[dict[str, Any]]
) -> Iterator[RunningSystem]:
    prefix = f"{unique_name('e2e')}."
    ensure_topics(kafka_bootstrap, all_topics(prefix))
    databases = {f"ACORN_{s.name.upper()}_DB": unique_name(f"e2e_{s.name}") for s in stack.SERVICES}
    env = stack.isolated_environment(
        mongodb_uri=mongo_uri, kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix,
        databases=databases, jwt=TEST_JWT,
    )  # fmt: skip
    components = stack.service_components(port_offset=PORT_OFFSET, name_suffix="-e2e", env=env)
    try:
        for component in components:
            processes.start(component)
        for component in components:
            processes.wait_ready(component)
        yield RunningSystem(
            urls={
                s.name: f"http://{stack.LOCAL_HOST}:{s.port + PORT_OFFSET}" for s in stack.SERVICES
            },
            databases=list(databases.values()),
            topics=all_topics(prefix),
            logs=[component.log_file for component in components],
        )
    finally:
        for component in components:
            processes.stop(component.pid_file)
        for database in databases.values():
            mongo_client.drop_database(database)
        delete_topics(kafka_bootstrap, all_topics(prefix))
