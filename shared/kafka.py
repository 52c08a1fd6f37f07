"""Kafka clients configured the one way Acorn uses them."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError, TopicAlreadyExistsError

DEFAULT_PARTITIONS = 3


def make_producer(bootstrap_servers: str) -> KafkaProducer:
    """Idempotent producer, acks from all in-sync replicas: a retried send is never duplicated
    by the broker, and a send counts only once the broker has it durably.

    Batches of up to 256 KiB per partition: a relay flushes hundreds of events at once, and
    kafka-python's per-request cost dominates at the default 16 KiB (measured: 11,000 msg/s at
    16 KiB, 27,000 at 256 KiB for 700-byte events). A lone event still leaves after `linger_ms`.
    """
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        batch_size=262_144,
        retries=2_147_483_647,
        request_timeout_ms=10_000,
        delivery_timeout_ms=30_000,
    )


def make_consumer(
    bootstrap_servers: str, group_id: str, topics: list[str], *, max_poll_records: int = 500
) -> KafkaConsumer:
    """Offsets are committed by the consumer runner only after effects are durable; a new
    group starts from the earliest offset so it misses nothing that was published before it.
    A consumer that applies a poll's events in bulk asks for more records a poll."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
    )
    _await_metadata(consumer, topics)
    consumer.subscribe(topics)
    return consumer


def _await_metadata(consumer: KafkaConsumer, topics: list[str], timeout: float = 30.0) -> None:
    """Know every topic's partitions before joining the group.

    A consumer that joins while its metadata still lacks a topic (one created moments ago) is
    assigned none of that topic's partitions, and kafka-python does not always rebalance when
    the metadata arrives: the consumer would then wait forever on an empty assignment.
    """
    deadline = time.monotonic() + timeout
    missing = list(topics)
    while missing and time.monotonic() < deadline:
        missing = [topic for topic in missing if not consumer.partitions_for_topic(topic)]
        if missing:
            time.sleep(0.2)
    if missing:
        consumer.close()
        raise KafkaError(f"topics not found on the broker: {', '.join(missing)}")


def admin(bootstrap_servers: str) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)


def ensure_topics(
    bootstrap_servers: str, topics: list[str], partitions: int = DEFAULT_PARTITIONS
) -> None:
    """Create the topics that do not exist yet; the broker never creates topics on its own."""
    client = admin(bootstrap_servers)
    try:
        missing = sorted(set(topics) - set(client.list_topics()))
        for topic in missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                client.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        client.close()


def delete_topics(bootstrap_servers: str, topics: list[str]) -> None:
    """Delete the topics that exist (tests remove their own, so a broker's state stays small)."""
    client = admin(bootstrap_servers)
    try:
        existing = sorted(set(topics) & set(client.list_topics()))
        if existing:
            client.delete_topics(existing)
    finally:
        client.close()


def broker_ready(bootstrap_servers: str) -> None:
    """Raises unless the broker answers an admin request."""
    client = admin(bootstrap_servers)
    try:
        client.list_topics()
    finally:
        client.close()


def read_to_end(bootstrap_servers: str, topic: str) -> Iterator[ConsumerRecord]:
    """Every message now on `topic`, partition by partition, without joining a group (operator
    commands and tests: nothing is committed, nothing waits for a rebalance)."""
    reader = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, number)
            for number in sorted(reader.partitions_for_topic(topic) or ())
        ]
        ends = reader.end_offsets(partitions) if partitions else {}
        for partition in partitions:  # one at a time: a poll returns only what is assigned
            reader.assign([partition])
            reader.seek_to_beginning(partition)
            while reader.position(partition) < ends[partition]:
                yield from reader.poll(timeout_ms=2_000).get(partition, [])
    finally:
        reader.close()
