"""The consumer runner: at-least-once delivery turned into exactly-once effects.

For each message: parse the envelope, check its payload against the registered schema, and hand
it to the service's handler for its type. Handlers make their effect idempotent by event id under
a unique index (`shared.mongo.insert_once`, or an upsert keyed on the event), so a redelivered
event changes nothing. Offsets are committed only after every message of a poll has been handled
or dead-lettered, so a crash redelivers rather than skips.

Transient failures (database or broker unreachable) are retried with capped exponential backoff
until they succeed or the runner is stopped. Anything else is a poison message: it goes to
`<topic>.dlq` with its topic, partition, offset, event id and the reason, and the runner carries on.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from pymongo.errors import ConnectionFailure

from shared.events import catalogue  # noqa: F401  (registers every payload schema)
from shared.events.envelope import Envelope, EnvelopeError
from shared.events.registry import PayloadError, known_event_types, validate_payload
from shared.events.topics import dlq_topic
from shared.logs import correlation, log_fields

logger = logging.getLogger(__name__)

Handler = Callable[[Envelope], None]


class TransientError(Exception):
    """Raised by a handler for a failure worth retrying (a dependency briefly unavailable)."""


TRANSIENT = (TransientError, ConnectionFailure, KafkaError)


class PoisonMessage(Exception):
    """A message that can never be handled as it is."""


@dataclass
class ConsumerStats:
    handled: int = 0
    skipped: int = 0
    dead_lettered: int = 0


class ConsumerRunner:
    """Consumes `consumer`'s topics and dispatches each event type to its handler."""

    def __init__(
        self,
        *,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        handlers: Mapping[str, Handler],
        name: str,
        initial_backoff: float = 0.2,
        max_backoff: float = 10.0,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.handlers = dict(handlers)
        self.name = name
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.stats = ConsumerStats()
        self._known_types = {type_ for type_, _ in known_event_types()}

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, then leave the group (the runner owns its consumer)."""
        try:
            while not stop.is_set():
                self.poll_once(stop)
        finally:
            self.consumer.close(autocommit=False)

    def poll_once(self, stop: threading.Event, timeout_ms: int = 200) -> int:
        """Handle one poll's worth of messages and commit; returns how many were seen."""
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        seen = 0
        for records in batch.values():
            for record in records:
                if not self._process_with_retries(record, stop):
                    return seen  # stopped mid-retry: do not commit; the message comes again
                seen += 1
        if seen:
            self.consumer.commit()
        return seen

    def _process_with_retries(self, record: ConsumerRecord, stop: threading.Event) -> bool:
        delay = self.initial_backoff
        while True:
            try:
                self._process(record)
                return True
            except TRANSIENT as error:
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
        try:
            envelope = Envelope.from_bytes(record.value)
        except EnvelopeError as error:
            reason = f"not an Acorn event envelope: {error}"
            self._dead_letter(record, event_id=None, reason=reason, error=error)
            return
        try:
            self._check_payload(envelope)
        except PoisonMessage as error:
            self._dead_letter(record, event_id=envelope.id, reason=str(error), error=error)
            return
        handler = self.handlers.get(envelope.type)
        if handler is None:
            self.stats.skipped += 1
            return
        with correlation(envelope.correlationid):
            try:
                handler(envelope)
            except TRANSIENT:
                raise
            except Exception as error:
                self._dead_letter(record, event_id=envelope.id, reason=str(error), error=error)
                return
        self.stats.handled += 1

    def _check_payload(self, envelope: Envelope) -> None:
        if envelope.type not in self._known_types:
            raise PoisonMessage(f"unknown event type {envelope.type}")
        try:
            validate_payload(envelope.type, envelope.dataschemaversion, envelope.data, strict=False)
        except PayloadError as error:
            raise PoisonMessage(str(error)) from error

    def _dead_letter(
        self, record: ConsumerRecord, *, event_id: str | None, reason: str, error: Exception
    ) -> None:
        letter: dict[str, Any] = {
            "consumer": self.name,
            "original_topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "event_id": event_id,
            "reason": reason,
            "exception": type(error).__name__,
            "payload": (record.value or b"").decode("utf-8", errors="replace"),
        }
        self.producer.send(
            dlq_topic(record.topic), key=record.key, value=json.dumps(letter).encode()
        ).get(timeout=30)
        self.stats.dead_lettered += 1
        logger.error(
            "event dead-lettered",
            extra=log_fields(**{k: v for k, v in letter.items() if k != "payload"}),
        )
