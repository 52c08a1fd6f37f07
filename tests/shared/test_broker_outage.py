"""A stopped broker: writes queue in the outbox and are delivered once it is back.

This test needs a broker it may stop, so it starts one of its own with the project's provisioning
(deploy/stack.py) on spare ports, never the shared one other tests use.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from deploy import processes, stack
from shared.consumer import ConsumerRunner
from shared.events.catalogue.commissioning import PROVIDER_REGISTERED
from shared.events.topics import all_topics, service_topic
from shared.kafka import ensure_topics, make_consumer, make_producer
from shared.outbox import PENDING_COLLECTION, Outbox, OutboxRelay
from tests.shared.test_bus_integration import provider_event
from tests.support.bus import running, wait_until
from tests.support.effects import ProviderDirectory

pytestmark = pytest.mark.integration

# moved with the end-to-end systems' offset, so two checkouts' suites never share the ports
PORT_OFFSET = int(os.environ.get("ACORN_E2E_PORT_OFFSET", "10000"))
PORT, CONTROLLER_PORT = 9292 + PORT_OFFSET, 9293 + PORT_OFFSET


@pytest.fixture
def own_broker(tmp_path: Path) -> Any:
    component = stack.kafka_component(
        name=f"kafka-outage-{uuid.uuid4().hex[:6]}",
        port=PORT,
        controller_port=CONTROLLER_PORT,
        base_dir=tmp_path,
    )
    processes.start(component)
    processes.wait_ready(component)
    yield component
    processes.stop(component.pid_file)


def test_writes_queue_while_the_broker_is_down_and_deliver_once_it_is_back(
    own_broker: Any, make_db: Any
) -> None:
    bootstrap = f"{stack.LOCAL_HOST}:{PORT}"
    ensure_topics(bootstrap, all_topics())
    topic = service_topic("commissioning")
    source_db, sink_db = make_db("commissioning"), make_db("value")
    producer = make_producer(bootstrap)
    producer.config["request_timeout_ms"] = 2000  # fail fast while the broker is away
    relay = OutboxRelay(source_db, producer, topic, send_timeout=3.0)

    processes.stop(own_broker.pid_file)
    outbox = Outbox(source_db)
    with running(relay.run):
        for index in range(5):  # the API keeps accepting writes: they wait in the outbox
            outbox.insert("providers", {"_id": f"p{index}"}, [provider_event(f"p{index}")])
        wait_until(
            lambda: source_db[PENDING_COLLECTION].count_documents({}) == 5,
            what="five pending writes",
        )

        processes.start(own_broker)
        processes.wait_ready(own_broker)
        wait_until(
            lambda: source_db[PENDING_COLLECTION].count_documents({}) == 0,
            timeout=90,
            what="the outbox to drain once the broker is back",
        )

    directory = ProviderDirectory(sink_db)
    runner = ConsumerRunner(
        consumer=make_consumer(bootstrap, f"g-{uuid.uuid4().hex}", [topic]),
        producer=producer,
        name="after-outage",
        handlers={PROVIDER_REGISTERED: directory.handle},
    )
    with running(runner.run):
        wait_until(lambda: directory.effects() == 5, timeout=60, what="all five delivered")
    producer.close(timeout=5)
