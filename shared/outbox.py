"""The transactional outbox, for a database with neither transactions nor isolated updates.

FerretDB applies an update as an unguarded read-modify-write of the whole document: two
concurrent updates of one document lose one of them (measured: 195 of 200 races). So Acorn never
updates a document that carries events. Every change that raises events is an **insert** (a new
revision, a new fact), and the ids of its events ride in that inserted document's `_outbox` field,
which is never changed again.

A write of one or many documents goes in three inserts:

1. a **pending record** in `outbox_pending`: the collection, and every event as the exact bytes
   and partition key the relay will send, each with the id of the document that raises it;
2. the documents, each with its event ids in `_outbox`;
3. a **ready mark** in `outbox_ready` under the pending record's id, naming the documents whose
   insert failed (an `_id` that exists already: a lost race, a replay), whose events are dropped;
   a write of which nothing was written deletes its record instead.

The relay reads ready marks, sends their records' events and deletes record and mark, without
reading the documents (on FerretDB, reading a document costs ~0.3 ms, which capped the relay at
~1,500 events/s). A write that stopped between 1 and 3 (a crash, a lost connection) leaves a
record without a mark: once it is older than `orphan_grace` the relay reads its documents and
sends the events of those that exist and name them, and drops the rest. No document with events
can exist without its pending record, so nothing is lost and no sweep of large collections is
needed. The relay publishes with the idempotent producer and deletes only after the broker has
acknowledged; a crash in between publishes again, and consumers de-duplicate by event id.

No one record can wedge the relay. An event the broker can never take as it is (too large,
refused as invalid, not text) is **set aside** in `outbox_set_aside` with its reason, and the
events behind it keep flowing; `./dev dlq` lists set-aside events and re-drives them once the
cause is fixed. Failures that are not the record's (the broker unreachable, a timeout) are retried,
oldest first, until they pass.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.errors import (
    CorruptRecordError,
    InvalidRecordError,
    KafkaError,
    MessageSizeTooLargeError,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from shared.events import catalogue  # noqa: F401  (registers every payload schema)
from shared.events.envelope import KAFKA_CONTENT_TYPE, Envelope
from shared.events.registry import validate_payload
from shared.logs import log_fields
from shared.mongo import insert_once, packed_json, unpacked_json

OUTBOX_FIELD = "_outbox"
PENDING_COLLECTION = "outbox_pending"
READY_COLLECTION = "outbox_ready"
SET_ASIDE_COLLECTION = "outbox_set_aside"
# The CloudEvents Kafka binding's structured mode: the whole event is the message value.
CLOUDEVENTS_HEADERS = [("content-type", KAFKA_CONTENT_TYPE.encode())]
# What the broker says of one record it will never take, however often it is sent.
UNPUBLISHABLE = (MessageSizeTooLargeError, InvalidRecordError, CorruptRecordError)

logger = logging.getLogger(__name__)

Document = dict[str, Any]


class Outbox:
    """Inserts documents together with the events their change raises."""

    def __init__(self, db: Database[Document]) -> None:
        self.db = db
        self.pending = db[PENDING_COLLECTION]
        self.ready = db[READY_COLLECTION]

    def insert(self, collection: str, document: Document, events: list[Envelope]) -> None:
        """Insert `document` carrying `events`. Raises DuplicateKeyError if its `_id` exists."""
        self.insert_many(collection, [(document, events)])

    def insert_many(self, collection: str, items: list[tuple[Document, list[Envelope]]]) -> None:
        """Insert new documents, each with its own events, in one bulk write.

        Raises BulkWriteError (or DuplicateKeyError for one document) if some `_id` exists; the
        other documents are written and will be published.
        """
        if not items:
            return
        for _, events in items:
            self._validate(events)
        record = pending_record(collection, items)
        record_id = record["_id"]
        self.pending.insert_one(record)  # raises: nothing written, nothing lost
        documents = [
            {**document, OUTBOX_FIELD: [event.id for event in events]} for document, events in items
        ]
        # Any error but a taken `_id` propagates: which documents were written is then unknown,
        # so the record stays unmarked and the relay checks them after its grace period.
        try:
            if len(documents) == 1:
                self.db[collection].insert_one(documents[0])
            else:
                self.db[collection].insert_many(documents, ordered=False)
        except BulkWriteError as error:
            failed = [documents[entry["index"]]["_id"] for entry in error.details["writeErrors"]]
            self._mark_ready(record_id, failed, written=len(documents) - len(failed))
            raise
        except DuplicateKeyError:
            self._mark_ready(record_id, [documents[0]["_id"]], written=0)
            raise
        self._mark_ready(record_id, [], written=len(documents))

    def _mark_ready(self, record_id: str, failed: list[Any], *, written: int) -> None:
        try:
            if not written:  # nothing happened, so there is nothing to announce
                self.pending.delete_one({"_id": record_id})
                return
            self.ready.insert_one({"_id": record_id, "failed": failed})
        except PyMongoError:
            # The caller hears how its write went, not this. The relay finds the record after
            # its grace period and announces what the documents, as written, carry.
            logger.warning(
                "outbox write not finished; the relay will check it after its grace period",
                extra=log_fields(record=record_id),
                exc_info=True,
            )

    @staticmethod
    def _validate(events: list[Envelope]) -> None:
        if not events:
            raise ValueError("a change written through the outbox raises at least one event")
        for event in events:
            validate_payload(event.type, event.dataschemaversion, event.data, strict=True)


def pending_record(
    collection: str,
    items: list[tuple[Document, list[Envelope]]],
    written_at: datetime | None = None,
) -> Document:
    """Step 1 of a write: every event as the relay will send it, with its document's id.

    The events are one packed JSON text (`shared.mongo.packed_json`) rather than a list of
    subdocuments: FerretDB decodes every value of a document it reads or deletes, and as
    subdocuments a pending record cost ~0.13 ms an event to read and again to delete.
    """
    events = [
        {
            "document_id": document["_id"],
            "id": event.id,
            "key": event.partitionkey,
            "value": event.to_bytes().decode(),
        }
        for document, document_events in items
        for event in document_events
    ]
    return {
        "_id": f"{time.time_ns():020d}-{uuid.uuid4().hex}",  # sorts in the order of writing
        "collection": collection,
        "events": packed_json(orjson.dumps(events)),
        "written_at": written_at or datetime.now(UTC),
    }


@dataclass(frozen=True)
class Unpublishable:
    """An event the broker refused for what it is, not for the broker's state."""

    event: Document
    reason: str


@dataclass
class RelayStats:
    published: int = 0
    set_aside: int = 0
    retries: int = 0


@dataclass(frozen=True)
class Batch:
    """Pending records to finish, and the events of theirs to send first."""

    record_ids: list[str]
    events: list[Document]


class OutboxRelay:
    """Publishes pending outbox events of one service database to its topic."""

    def __init__(
        self,
        db: Database[Document],
        producer: KafkaProducer,
        topic: str,
        *,
        batch_size: int = 100,
        poll_interval: float = 0.05,
        send_timeout: float = 30.0,
        orphan_grace: float = 300.0,
    ) -> None:
        self.db = db
        self.pending = db[PENDING_COLLECTION]
        self.ready = db[READY_COLLECTION]
        self.producer = producer
        self.topic = topic
        self.batch_size = batch_size  # ready writes a pass (a write may carry 1,000 events)
        self.poll_interval = poll_interval
        self.send_timeout = send_timeout
        self.orphan_grace = timedelta(seconds=orphan_grace)
        # how often an idle relay looks for writes that never finished (at start, at once)
        self.unfinished_check_interval = min(30.0, orphan_grace / 10)
        self._next_unfinished_check = 0.0
        self.set_aside_records = db[SET_ASIDE_COLLECTION]
        self.stats = RelayStats()
        self.heartbeat = time.monotonic()  # last time a pass went through (shared.probes)

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set. Whatever is pending at start is published first."""
        failures = 0
        while not stop.is_set():
            try:
                relayed = self.relay_pending()
                failures = 0
                self.heartbeat = time.monotonic()
            except (KafkaError, PyMongoError) as error:
                failures += 1
                self.stats.retries += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                logger.warning(
                    "outbox relay could not publish; retrying",
                    extra=log_fields(topic=self.topic, error=repr(error), retry_in_s=delay),
                )
                stop.wait(delay)
                continue
            if relayed == 0:
                stop.wait(self.poll_interval)

    def metrics(self) -> list[Metric]:
        """What an operator alerts on: work waiting, how old the oldest is, what was set aside."""
        labels = ["topic"]
        depth = GaugeMetricFamily(
            "outbox_pending_records", "Outbox writes not yet published", labels=labels
        )
        oldest = GaugeMetricFamily(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox write not yet published (0 when none)",
            labels=labels,
        )
        set_aside = GaugeMetricFamily(
            "outbox_set_aside_events",
            "Events the broker refused for what they are, kept for an operator",
            labels=labels,
        )
        published = CounterMetricFamily(
            "outbox_published_events", "Events the broker acknowledged", labels=labels
        )
        retries = CounterMetricFamily(
            "outbox_relay_retries", "Passes that failed and were retried", labels=labels
        )
        first = next(iter(self.pending.find({}, {"written_at": 1}).limit(1)), None)
        age = (datetime.now(UTC) - _aware(first["written_at"])).total_seconds() if first else 0.0
        depth.add_metric([self.topic], self.pending.count_documents({}))
        oldest.add_metric([self.topic], max(0.0, age))
        set_aside.add_metric([self.topic], self.set_aside_records.count_documents({}))
        published.add_metric([self.topic], self.stats.published)
        retries.add_metric([self.topic], self.stats.retries)
        return [depth, oldest, set_aside, published, retries]

    def relay_pending(self) -> int:
        """Publish the events of finished writes, oldest first (every so often, first those of
        writes that never finished and are past their grace period); returns how many."""
        batch = self.unfinished_batch()  # checked every so often, busy or not
        if not batch.record_ids:
            batch = self.ready_batch()
        if not batch.record_ids:
            return 0
        refused = self.send(batch.events)
        self.set_aside(refused)
        self.finish(batch.record_ids)
        self.stats.published += len(batch.events) - len(refused)
        return len(batch.events)

    def ready_batch(self) -> Batch:
        # No sort in the query: FerretDB reads a limited find without filter or sort as the first
        # rows in insertion order (a sorted find reads and sorts every mark first).
        marks = {
            mark["_id"]: set(mark["failed"]) for mark in self.ready.find().limit(self.batch_size)
        }
        if not marks:
            return Batch([], [])
        records = sorted(self.pending.find({"_id": {"$in": list(marks)}}), key=lambda r: r["_id"])
        events = [
            event
            for record in records
            for event in unpacked_json(record["events"])
            if event["document_id"] not in marks[record["_id"]]
        ]
        return Batch(list(marks), events)  # a mark whose record is gone is finished again

    def unfinished_batch(self) -> Batch:
        """Records older than the grace period without a ready mark: send the events of the
        documents that were written and name them; the rest never happened."""
        now = time.monotonic()
        if now < self._next_unfinished_check:
            return Batch([], [])
        self._next_unfinished_check = now + self.unfinished_check_interval
        cutoff = datetime.now(UTC) - self.orphan_grace
        stale = [
            record
            for record in self.pending.find().limit(self.batch_size)
            if _aware(record["written_at"]) < cutoff
            and self.ready.find_one({"_id": record["_id"]}) is None
        ]
        events = []
        for record in sorted(stale, key=lambda r: r["_id"]):
            record_events = unpacked_json(record["events"])
            announced = self._announced(record["collection"], record_events)
            events.extend(event for event in record_events if event["id"] in announced)
        if stale:
            logger.warning(
                "outbox relay finished writes that never marked themselves ready",
                extra=log_fields(topic=self.topic, records=len(stale), events=len(events)),
            )
        return Batch([record["_id"] for record in stale], events)

    def _announced(self, collection: str, events: list[Document]) -> set[str]:
        """Ids of the events that their documents, as written, carry."""
        ids = list({event["document_id"] for event in events})
        documents = self.db[collection].find({"_id": {"$in": ids}}, {OUTBOX_FIELD: 1})
        return {event_id for document in documents for event_id in document.get(OUTBOX_FIELD, [])}

    def send(self, events: list[Document]) -> list[Unpublishable]:
        """Send the events and wait until the broker has acknowledged every one it can ever take;
        returns those it never will. Raises on any other failure, so the batch is sent again."""
        refused: list[Unpublishable] = []
        futures = []
        for event in events:
            try:
                key, value = event["key"].encode(), event["value"].encode()
            except UnicodeEncodeError as error:
                refused.append(Unpublishable(event, f"not valid UTF-8 text: {error}"))
                continue
            try:  # the producer refuses an oversized record at once, before any broker sees it
                sent = self.producer.send(
                    self.topic, key=key, value=value, headers=CLOUDEVENTS_HEADERS
                )
                futures.append((event, sent))
            except UNPUBLISHABLE as error:
                refused.append(Unpublishable(event, f"{type(error).__name__}: {error}"))
        self.producer.flush(timeout=self.send_timeout)
        for event, future in futures:
            try:
                future.get(timeout=self.send_timeout)  # raises if the broker did not acknowledge
            except UNPUBLISHABLE as error:
                refused.append(Unpublishable(event, f"{type(error).__name__}: {error}"))
        return refused

    def set_aside(self, refused: list[Unpublishable]) -> None:
        """Keep each refused event, with why, where an operator finds and re-drives it."""
        for item in refused:
            event = item.event
            insert_once(
                self.set_aside_records,
                {
                    "_id": event["id"],
                    "topic": self.topic,
                    "key": event["key"],
                    # bytes, as sent: text a broker refused may not even be valid UTF-8
                    "value": event["value"].encode(errors="surrogatepass"),
                    "reason": item.reason,
                    "set_aside_at": datetime.now(UTC),
                },
            )
            self.stats.set_aside += 1
            logger.error(
                "outbox event set aside: the broker will never take it as it is",
                extra=log_fields(topic=self.topic, event_id=event["id"], reason=item.reason),
            )

    def finish(self, record_ids: list[str]) -> None:
        """Mark the records' events published: delete records, then marks (a mark left behind
        by a crash in between names no record and is deleted on the next pass)."""
        self.pending.delete_many({"_id": {"$in": record_ids}})
        self.ready.delete_many({"_id": {"$in": record_ids}})


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def strip_outbox(document: Document | None) -> Document | None:
    """The document as the domain sees it, without the events it carries."""
    if document is None:
        return None
    return {key: value for key, value in document.items() if key != OUTBOX_FIELD}
