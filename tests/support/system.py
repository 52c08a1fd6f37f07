"""The whole system as processes: four gunicorn APIs, their relays and consumers.

Started with the project's own stack definition (deploy/stack.py) on shifted ports, so a
developer's `./dev up` can keep running (`ACORN_E2E_PORT_OFFSET` moves them, so two checkouts can
run their suites side by side), with databases and topics of its own, so one test module's data
never shows in another's reports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from deploy import processes, stack
from deploy.processes import Component
from shared.events.topics import all_topics
from shared.kafka import delete_topics, ensure_topics
from tests.support.identity import TEST_JWT, unique_name

PORT_OFFSET = int(os.environ.get("ACORN_E2E_PORT_OFFSET", "10000"))


@dataclass(frozen=True)
class RunningSystem:
    urls: dict[str, str]
    databases: dict[str, str]  # service -> its database
    topic_prefix: str
    components: dict[str, Component]  # e.g. "ledger-relay" -> how to find and restart it

    @property
    def topics(self) -> list[str]:
        return all_topics(self.topic_prefix)

    @property
    def logs(self) -> list[Path]:
        """Every process's log: what a test of data minimisation searches."""
        return [component.log_file for component in self.components.values()]


@contextmanager
def running_system(
    *,
    mongo_uri: str,
    kafka_bootstrap: str,
    mongo_client: MongoClient[dict[str, Any]],
    name: str,
    port_shift: int = 0,
    env: dict[str, str] | None = None,
) -> Iterator[RunningSystem]:
    """Start every service process on ports `PORT_OFFSET + port_shift` above the usual ones."""
    prefix = f"{unique_name(name)}."
    offset = PORT_OFFSET + port_shift
    ensure_topics(kafka_bootstrap, all_topics(prefix))
    databases = {s.name: unique_name(f"{name}_{s.name}") for s in stack.SERVICES}
    environment = stack.isolated_environment(
        mongodb_uri=mongo_uri,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=prefix,
        databases={f"ACORN_{service.upper()}_DB": db for service, db in databases.items()},
        jwt=TEST_JWT,
    )
    suffix = f"-{name}"
    components = stack.service_components(
        port_offset=offset, name_suffix=suffix, env={**environment, **(env or {})}
    )
    for component in components:  # this run's logs only: what tests of logging read
        component.log_file.unlink(missing_ok=True)
    try:
        for component in components:
            processes.start(component)
        for component in components:
            processes.wait_ready(component)
        yield RunningSystem(
            urls={s.name: f"http://{stack.LOCAL_HOST}:{s.port + offset}" for s in stack.SERVICES},
            databases=databases,
            topic_prefix=prefix,
            components={c.name.removesuffix(suffix): c for c in components},
        )
    finally:
        for component in components:
            processes.stop(component.pid_file)
        for database in databases.values():
            mongo_client.drop_database(database)
        delete_topics(kafka_bootstrap, all_topics(prefix))
