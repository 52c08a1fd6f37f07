"""Where the tests' real Kafka broker and MongoDB-protocol database come from.

In order: `MONGODB_URI` / `KAFKA_BOOTSTRAP_SERVERS` when set (`./dev test` sets them after
starting its own FerretDB and Kafka); testcontainers when a Docker engine answers; otherwise the
session fails with a message saying how to provide them. Tests never silently skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

HOW_TO = (
    "run the tests with `./dev test` (it starts Kafka and FerretDB itself), or set "
    "MONGODB_URI and KAFKA_BOOTSTRAP_SERVERS, or start a Docker engine for testcontainers"
)


def docker_engine_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (subprocess.TimeoutExpired, OSError):
        return False


@contextmanager
def mongodb_uri() -> Iterator[str]:
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"]
    elif docker_engine_available():
        from testcontainers.mongodb import MongoDbContainer

        with MongoDbContainer("mongo:7") as container:
            yield container.get_connection_url()
    else:
        pytest.fail(f"no MongoDB-protocol database for the tests: {HOW_TO}", pytrace=False)


@contextmanager
def kafka_bootstrap_servers() -> Iterator[str]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    elif docker_engine_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.2.0").with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        pytest.fail(f"no Kafka broker for the tests: {HOW_TO}", pytrace=False)
