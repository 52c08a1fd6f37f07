"""`python -m shared.relay <service>`: the outbox relay process of one service."""

from __future__ import annotations

import logging
import sys

from shared.events.topics import PUBLISHING_SERVICES, service_topic
from shared.kafka import make_producer
from shared.logs import log_fields
from shared.mongo import connect
from shared.outbox import OutboxRelay
from shared.runtime import load_worker_settings, run_worker

logger = logging.getLogger("shared.relay")


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in PUBLISHING_SERVICES:
        sys.exit(f"usage: python -m shared.relay {{{','.join(PUBLISHING_SERVICES)}}}")
    service = argv[0]
    settings = load_worker_settings(service)
    client = connect(settings.mongodb_uri)
    producer = make_producer(settings.kafka_bootstrap_servers)
    topic = service_topic(service, settings.topic_prefix)
    relay = OutboxRelay(
        client[settings.database], producer, topic, orphan_grace=settings.orphan_grace_s
    )
    logger.info("outbox relay started", extra=log_fields(topic=topic, database=settings.database))
    try:
        run_worker(settings, f"{service}-relay", relay)
    finally:
        producer.close(timeout=10)
        client.close()


if __name__ == "__main__":
    main(sys.argv[1:])
