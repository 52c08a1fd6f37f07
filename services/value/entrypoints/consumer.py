"""The read-model consumer: every topic in, the value service's fact store out.

It runs inside the value API process (`entrypoints/api.py`), because DuckDB allows one writer per
database file. It is `shared.consumer.ConsumerRunner` (envelope and payload checks, dead letters
to `<topic>.dlq` with topic, partition, offset, event id and reason, a batch falling back to one
event at a time to isolate a poison one) over a `PositionedConsumer`: the poll's events are staged
as rows, and the runner's commit writes those rows and the position reached on every partition in
one transaction. At start, each partition is read from the position stored with the facts (from
the beginning if none), so every effect happens exactly once, whatever the broker remembers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.value.adapters.readmodel import ReadModel, stage
from services.value.adapters.store import Position, Staged
from shared.config import ServiceSettings
from shared.consumer import ConsumerRunner
from shared.events.envelope import Envelope
from shared.events.topics import PUBLISHING_SERVICES, service_topic
from shared.kafka import make_producer
from shared.logs import log_fields

logger = logging.getLogger(__name__)

NAME = "value-read-model"
# a poll is staged and written as one transaction: larger polls mean fewer of them
MAX_POLL_RECORDS = 5_000


def topics(settings: ServiceSettings) -> list[str]:
    return [service_topic(service, settings.topic_prefix) for service in PUBLISHING_SERVICES]


class PositionedConsumer:
    """What the runner polls and commits through: Kafka's consumer, with the positions kept in
    the fact store. Partitions are assigned, not shared by a group: each value instance reads
    every partition and holds every fact. The group's offsets are committed after each write for
    operators' tools only; nothing reads them back."""

    def __init__(self, kafka: KafkaConsumer, read_model: ReadModel, topics: list[str]) -> None:
        self.kafka, self.read_model = kafka, read_model
        self.staged = Staged()
        self._reached: dict[Position, int] = {}
        stored = read_model.store.positions()
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in _partitions(kafka, topic)
        ]
        kafka.assign(partitions)
        for partition in partitions:
            at = stored.get((partition.topic, partition.partition))
            if at is None:
                kafka.seek_to_beginning(partition)
            else:
                kafka.seek(partition, at)
        # caught up once every partition reaches where it ended when the consumer started
        self._start_ends: dict[TopicPartition, int] = kafka.end_offsets(partitions)
        self._lag = dict(self._start_ends)
        self.caught_up = threading.Event()
        self._check_caught_up()

    def poll(self, timeout_ms: int, max_records: int | None = None) -> Any:
        batch = self.kafka.poll(timeout_ms=timeout_ms, max_records=max_records)
        for partition, records in batch.items():
            if records:
                self._reached[(partition.topic, partition.partition)] = records[-1].offset + 1
        self._measure_lag()
        return batch

    def stage(self, events: list[Envelope]) -> None:
        """Add `events`' rows to the write the next commit makes, all or none of them."""
        self.staged.absorb(stage(events))

    def commit(self) -> None:
        """Write the staged rows with the positions reached, in one transaction."""
        self.read_model.write(self.staged, self._reached)
        self.staged, self._reached = Staged(), {}
        self.kafka.commit()
        self._check_caught_up()

    def close(self, autocommit: bool = False) -> None:
        self.kafka.close(autocommit=autocommit)

    # what the runner reads to report lag (shared.consumer), answered by Kafka's consumer
    def assignment(self) -> set[TopicPartition]:
        return self.kafka.assignment()

    def highwater(self, partition: TopicPartition) -> int | None:
        return self.kafka.highwater(partition)

    def position(self, partition: TopicPartition, timeout_ms: int | None = None) -> int | None:
        return self.kafka.position(partition, timeout_ms=timeout_ms)

    def lag(self) -> dict[TopicPartition, int]:
        """Events each partition held beyond the consumer's position at its last poll."""
        return dict(self._lag)

    def _measure_lag(self) -> None:
        """Kept for `lag()`: the Kafka consumer is used by the consumer's thread only."""
        lag = {}
        for partition in self.kafka.assignment():
            end = self.kafka.highwater(partition)
            if end is None:
                end = self._start_ends.get(partition, 0)
            lag[partition] = max(0, end - self.kafka.position(partition))
        self._lag = lag

    def _check_caught_up(self) -> None:
        if self.caught_up.is_set():
            return
        stored = self.read_model.store.positions()
        if all(stored.get((p.topic, p.partition), 0) >= end for p, end in self._start_ends.items()):
            self.caught_up.set()
            logger.info("caught up", extra=log_fields(consumer=NAME))


def _partitions(kafka: KafkaConsumer, topic: str, timeout: float = 30.0) -> list[int]:
    """The topic's partitions, once the broker's metadata names them (a topic created moments
    ago may not be known yet)."""
    deadline = time.monotonic() + timeout
    while not (found := kafka.partitions_for_topic(topic)):
        if time.monotonic() > deadline:
            raise KafkaError(f"topic not found on the broker: {topic}")
        time.sleep(0.2)
    return sorted(found)


class ReadModelCollector(Collector):
    """`/metrics`: the consumer's lag on each partition, and the rows of each table of facts
    (`observations` counts every observation, recorded or a correction, once)."""

    def __init__(self, consumer: PositionedConsumer) -> None:
        self.consumer = consumer

    def collect(self) -> Iterable[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "acorn_value_consumer_lag",
            "Events on a partition the value read model has not applied yet",
            labels=["topic", "partition"],
        )
        for partition, behind in sorted(self.consumer.lag().items()):
            lag.add_metric([partition.topic, str(partition.partition)], behind)
        facts = GaugeMetricFamily(
            "acorn_value_facts", "Rows in a table of the value read model", labels=["table"]
        )
        for table, rows in self.consumer.read_model.store.counts().items():
            facts.add_metric([table], rows)
        return iter([lag, facts])

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter([])


def build_runner(settings: ServiceSettings, read_model: ReadModel) -> ConsumerRunner:
    """A runner writing into `read_model`, from the positions its store holds."""
    servers = settings.kafka_bootstrap_servers
    kafka = KafkaConsumer(
        bootstrap_servers=servers,
        group_id=f"{settings.topic_prefix}acorn.value.read-model",
        enable_auto_commit=False,
        # a stored position the topic no longer has (topics recreated under a kept file) reads
        # the partition again from its start: facts are keyed, so nothing counts twice
        auto_offset_reset="earliest",
        max_poll_records=MAX_POLL_RECORDS,
    )
    positioned = PositionedConsumer(kafka, read_model, topics(settings))

    def handle(event: Envelope) -> None:
        positioned.stage([event])

    return ConsumerRunner(
        consumer=positioned,  # type: ignore[arg-type]  # polls and commits as the runner needs
        producer=make_producer(servers),
        handlers=dict.fromkeys(read_model.handlers(), handle),
        batch_handler=positioned.stage,
        max_poll_records=MAX_POLL_RECORDS,
        name=NAME,
    )


class CatchUpTimeout(RuntimeError):
    pass


def catch_up(settings: ServiceSettings, read_model: ReadModel, *, timeout: float = 600.0) -> int:
    """Consume into `read_model` until it reflects the topics as they were when this began;
    how many events were handled."""
    runner = build_runner(settings, read_model)
    positioned: PositionedConsumer = runner.consumer  # type: ignore[assignment]
    stop, deadline = threading.Event(), time.monotonic() + timeout
    try:
        while not positioned.caught_up.is_set():
            if time.monotonic() > deadline:
                raise CatchUpTimeout(f"the read model did not catch up in {timeout:.0f} s")
            runner.poll_once(stop)
    finally:
        positioned.close()
        runner.producer.close(timeout=5)
    return runner.stats.handled
