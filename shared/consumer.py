"""The consumer runner: at-least-once delivery turned into exactly-once effects.

For each message: parse the envelope, check its payload against the registered schema, and hand
it to the service's handler for its type. Handlers make their effect idempotent by event id under
a unique index (`shared.mongo.insert_once`, or an upsert keyed on the event), so a redelivered
event changes nothing. Offsets are committed only after every message of a poll has been handled
or dead-lettered, so a crash redelivers rather than skips.

A runner given a `batch_handler` hands it every accepted envelope of a poll at once, so a store
that charges per round trip pays once per poll rather than once per event. `handlers` still name
the types the runner wants, and are what it falls back to, one event at a time, when the batch
fails with anything but a transient error: the poison event is isolated and the rest applied.

Transient failures (database or broker unreachable, a broker error Kafka calls retriable) are
retried with capped exponential backoff until they succeed or the runner is stopped: waiting out
an outage loses nothing. Anything else is a poison message: it goes to `<topic>.dlq` with its
topic, partition, offset, event id and the reason, and the runner carries on. A dead letter always
fits the broker: an original larger than `MAX_LETTER_PAYLOAD_BYTES` is cut (the letter says so and
keeps its size; `./dev dlq` re-reads the whole original from its topic, partition and offset). A
dead letter the broker refuses all the same is logged with everything but the payload and passed:
no message can hold the runner.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    KafkaError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from pymongo.errors import ConnectionFailure

from shared.events import catalogue  # noqa: F401  (registers every payload schema)
from shared.events.envelope import Envelope, EnvelopeError
from shared.events.registry import PayloadError, known_event_types, validate_payload
from shared.events.topics import dlq_topic
from shared.logs import correlation, log_fields

logger = logging.getLogger(__name__)

Handler = Callable[[Envelope], None]
BatchHandler = Callable[[list[Envelope]], None]


class TransientError(Exception):
    """Raised by a handler for a failure worth retrying (a dependency briefly unavailable)."""


MAX_LETTER_PAYLOAD_BYTES = 64 * 1024
MAX_LETTER_REASON_CHARS = 2_000


def is_transient(error: BaseException) -> bool:
    """Worth retrying: the failure is the world's (a dependency away), not the message's."""
    if isinstance(error, (TransientError, ConnectionFailure)):
        return True
    return isinstance(error, KafkaError) and bool(error.retriable)


# how the broker refuses a commit from a member whose group has moved on
REBALANCED = (
    CommitFailedError,
    RebalanceInProgressError,
    IllegalGenerationError,
    UnknownMemberIdError,
)


class PoisonMessage(Exception):
    """A message that can never be handled as it is."""


@dataclass(frozen=True)
class Rejected:
    """Why a message cannot be handled, for its dead letter."""

    event_id: str | None
    reason: str
    error: Exception


@dataclass
class ConsumerStats:
    handled: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    retries: int = 0
    dead_letters_by_reason: Counter[str] = field(default_factory=Counter)
    lag: dict[tuple[str, int], int] = field(default_factory=dict)  # (topic, partition) -> lag


class ConsumerRunner:
    """Consumes `consumer`'s topics and dispatches each event type to its handler."""

    def __init__(
        self,
        *,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        handlers: Mapping[str, Handler],
        name: str,
        batch_handler: BatchHandler | None = None,
        max_poll_records: int | None = None,
        initial_backoff: float = 0.2,
        max_backoff: float = 10.0,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.handlers = dict(handlers)
        self.batch_handler = batch_handler
        self.name = name
        self.max_poll_records = max_poll_records  # None: the consumer's own max_poll_records
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.stats = ConsumerStats()
        self.heartbeat = time.monotonic()  # last time a poll was through (shared.probes)
        self._known_types = {type_ for type_, _ in known_event_types()}

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, then leave the group (the runner owns its consumer)."""
        try:
            while not stop.is_set():
                self.poll_once(stop)
                self._measure_lag()
                self.heartbeat = time.monotonic()
        finally:
            self.consumer.close(autocommit=False)

    def poll_once(self, stop: threading.Event, timeout_ms: int = 200) -> int:
        """Handle one poll's worth of messages and commit; returns how many were seen."""
        batch = self.consumer.poll(timeout_ms=timeout_ms, max_records=self.max_poll_records)
        records = [record for records in batch.values() for record in records]
        if self.batch_handler is not None:
            if not self._process_batch(records, stop):
                return 0  # stopped mid-retry: do not commit; the batch comes again
            seen = len(records)
        else:
            seen = 0
            for record in records:
                if not self._retrying(partial(self._process, record), stop, record):
                    return seen  # stopped mid-retry: do not commit; the message comes again
                seen += 1
        if seen:
            self._commit()
        return seen

    def metrics(self) -> list[Metric]:
        """Lag per partition, dead letters by reason, retries and events handled."""
        lag = GaugeMetricFamily(
            "consumer_lag",
            "Messages behind the end of the partition",
            labels=["topic", "partition"],
        )
        for (topic, partition), behind in sorted(self.stats.lag.items()):
            lag.add_metric([topic, str(partition)], behind)
        letters = CounterMetricFamily(
            "consumer_dead_letters", "Messages dead-lettered, by reason", labels=["reason"]
        )
        for reason, count in sorted(self.stats.dead_letters_by_reason.items()):
            letters.add_metric([reason], count)
        retries = CounterMetricFamily("consumer_retries", "Transient failures retried")
        retries.add_metric([], self.stats.retries)
        handled = CounterMetricFamily("consumer_handled_events", "Events applied")
        handled.add_metric([], self.stats.handled)
        return [lag, letters, retries, handled]

    def _measure_lag(self) -> None:
        """Messages behind the partition's end, from what the last fetches told (no round trip)."""
        for partition in self.consumer.assignment():
            end = self.consumer.highwater(partition)
            if end is not None:
                position = self.consumer.position(partition, timeout_ms=0) or 0
                lag_key = (partition.topic, partition.partition)
                self.stats.lag[lag_key] = max(0, end - position)

    def _commit(self) -> None:
        """Commit what was handled. A group rebalance can take the partitions away meanwhile
        (another member joined, or this one was slow): the broker then refuses the commit, and
        whoever holds the partitions reads those events again. Effects are idempotent, so that
        is a redelivery, not a loss, and the next poll joins the group's new generation; the
        runner carries on rather than dying with the refusal."""
        try:
            self.consumer.commit()
        except REBALANCED as error:
            logger.warning(
                "commit refused by a group rebalance; those events will be delivered again",
                extra=log_fields(consumer=self.name, error=repr(error)),
            )

    def _retrying(
        self, attempt: Callable[[], None], stop: threading.Event, record: ConsumerRecord
    ) -> bool:
        """Run `attempt` until it gets past transient failures; False if stopped first."""
        delay = self.initial_backoff
        while True:
            try:
                attempt()
                return True
            except Exception as error:
                if not is_transient(error):
                    raise
                self.stats.retries += 1
                logger.warning(
                    "transient failure handling event; retrying",
                    extra=log_fields(
                        consumer=self.name,
                        topic=record.topic,
                        offset=record.offset,
                        error=repr(error),
                        retry_in_s=delay,
                    ),
                )
                if stop.wait(delay):
                    return False
                delay = min(self.max_backoff, delay * 2)

    def _process(self, record: ConsumerRecord) -> None:
        envelope = self._accept(record)
        if isinstance(envelope, Rejected):
            self._dead_letter(record, envelope)
        elif envelope is None:
            self.stats.skipped += 1
        else:
            self._handle(record, envelope)

    def _process_batch(self, records: list[ConsumerRecord], stop: threading.Event) -> bool:
        """Dead-letter the poison, skip the unwanted, apply the rest in one call; False if
        stopped before every effect was durable."""
        accepted: list[tuple[ConsumerRecord, Envelope]] = []
        for record in records:
            envelope = self._accept(record)
            if isinstance(envelope, Rejected):
                letter = partial(self._dead_letter, record, envelope)
                if not self._retrying(letter, stop, record):
                    return False
            elif envelope is None:
                self.stats.skipped += 1
            else:
                accepted.append((record, envelope))
        if not accepted:
            return True
        failures: list[Exception] = []
        if not self._retrying(partial(self._apply_batch, accepted, failures), stop, accepted[0][0]):
            return False
        if not failures:
            self.stats.handled += len(accepted)
            return True
        logger.warning(
            "batch failed; applying its events one at a time to isolate the poison",
            extra=log_fields(consumer=self.name, events=len(accepted), error=repr(failures[0])),
        )
        for record, envelope in accepted:
            if not self._retrying(partial(self._handle, record, envelope), stop, record):
                return False
        return True

    def _apply_batch(
        self, accepted: list[tuple[ConsumerRecord, Envelope]], failures: list[Exception]
    ) -> None:
        assert self.batch_handler is not None
        try:
            self.batch_handler([envelope for _, envelope in accepted])
        except Exception as error:
            if is_transient(error):
                raise
            failures.append(error)  # which event is poison is found one at a time

    def _accept(self, record: ConsumerRecord) -> Envelope | Rejected | None:
        """The envelope to handle, why it can never be handled, or None if no handler wants it."""
        try:
            envelope = Envelope.from_bytes(record.value)
        except EnvelopeError as error:
            return Rejected(None, f"not an Acorn event envelope: {error}", error)
        try:
            self._check_payload(envelope)
        except PoisonMessage as error:
            return Rejected(envelope.id, str(error), error)
        return envelope if envelope.type in self.handlers else None

    def _handle(self, record: ConsumerRecord, envelope: Envelope) -> None:
        with correlation(envelope.correlationid):
            try:
                self.handlers[envelope.type](envelope)
            except Exception as error:
                if is_transient(error):
                    raise
                self._dead_letter(record, Rejected(envelope.id, str(error), error))
                return
        self.stats.handled += 1

    def _check_payload(self, envelope: Envelope) -> None:
        if envelope.type not in self._known_types:
            raise PoisonMessage(f"unknown event type {envelope.type}")
        try:
            validate_payload(envelope.type, envelope.dataschemaversion, envelope.data, strict=False)
        except PayloadError as error:
            raise PoisonMessage(str(error)) from error

    def _dead_letter(self, record: ConsumerRecord, rejected: Rejected) -> None:
        original = record.value or b""
        letter: dict[str, Any] = {
            "consumer": self.name,
            "original_topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "event_id": rejected.event_id,
            "reason": rejected.reason[:MAX_LETTER_REASON_CHARS],
            "exception": type(rejected.error).__name__,
            "payload_bytes": len(original),
            "payload_truncated": len(original) > MAX_LETTER_PAYLOAD_BYTES,
            "payload": original[:MAX_LETTER_PAYLOAD_BYTES].decode("utf-8", errors="replace"),
        }
        described = {k: v for k, v in letter.items() if k != "payload"}
        try:
            self.producer.send(
                dlq_topic(record.topic), key=record.key, value=json.dumps(letter).encode()
            ).get(timeout=30)
        except Exception as error:
            if is_transient(error):
                raise
            # The letter itself is refused (it cannot be its size; a broker set up otherwise):
            # the log keeps what an operator needs to find the original at its offset.
            logger.critical(
                "dead letter refused by the broker; the message is passed over",
                extra=log_fields(**described, error=repr(error)),
            )
        self.stats.dead_lettered += 1
        self.stats.dead_letters_by_reason[letter["exception"]] += 1
        logger.error("event dead-lettered", extra=log_fields(**described))
