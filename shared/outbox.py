"""The transactional outbox, for a database with neither transactions nor isolated updates.

FerretDB applies an update as an unguarded read-modify-write of the whole document: two
concurrent updates of one document lose one of them (measured: 195 of 200 races). So Acorn never
updates a document that carries events. Every change that raises events is an **insert** (a new
revision, a new fact), and the events ride in that inserted document's `_outbox` field, which is
never changed again: the document is the durable record of what happened and what it announced.

What is still to be published is tracked apart from it, in `outbox_pending`, and the pending
record is written **before** the document:

1. insert the pending record (names the collection, document id and event ids);
2. insert the document with its events.

A crash after 1 leaves a pending record whose document never appears: the relay drops it after
`orphan_grace` seconds. A failure of 2 (the `_id` exists: a lost race, a replay) drops it at once.
No document with events can exist without its pending record, so nothing is lost and no sweep of
large collections is needed. The relay publishes with the idempotent producer and deletes the
pending record only after the broker has acknowledged; a crash in between publishes again, and
consumers de-duplicate by event id.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError
from pymongo.database import Database
from pymongo.errors import BulkWriteError, PyMongoError

from shared.events import catalogue  # noqa: F401  (registers every payload schema)
from shared.events.envelope import Envelope
from shared.events.registry import validate_payload
from shared.logs import log_fields

OUTBOX_FIELD = "_outbox"
PENDING_COLLECTION = "outbox_pending"

logger = logging.getLogger(__name__)

Document = dict[str, Any]


class Outbox:
    """Inserts documents together with the events their change raises."""

    def __init__(self, db: Database[Document]) -> None:
        self.db = db
        self.pending = db[PENDING_COLLECTION]

    def insert(self, collection: str, document: Document, events: list[Envelope]) -> None:
        """Insert `document` carrying `events`. Raises DuplicateKeyError if its `_id` exists."""
        self.insert_many(collection, [(document, events)])

    def insert_many(self, collection: str, items: list[tuple[Document, list[Envelope]]]) -> None:
        """Insert new documents, each carrying its own events, in two bulk writes.

        Raises BulkWriteError (or DuplicateKeyError for one document) if some `_id` exists; the
        other documents are written and will be published.
        """
        if not items:
            return
        for _, events in items:
            self._validate(events)
        records = [self._pending_record(collection, document, events) for document, events in items]
        self.pending.insert_many(records, ordered=True)  # raises: nothing written, nothing lost
        documents = [
            {**document, OUTBOX_FIELD: [event.to_dict() for event in events]}
            for document, events in items
        ]
        try:
            if len(documents) == 1:
                self.db[collection].insert_one(documents[0])
            else:
                self.db[collection].insert_many(documents, ordered=False)
        except BulkWriteError as error:
            failed = {entry["index"] for entry in error.details.get("writeErrors", [])}
            self._forget([records[index] for index in sorted(failed)])
            raise
        except PyMongoError:
            self._forget(records)
            raise

    @staticmethod
    def _validate(events: list[Envelope]) -> None:
        if not events:
            raise ValueError("a change written through the outbox raises at least one event")
        for event in events:
            validate_payload(event.type, event.dataschemaversion, event.data, strict=True)

    @staticmethod
    def _pending_record(collection: str, document: Document, events: list[Envelope]) -> Document:
        # Sortable by time, so the relay publishes in the order changes were written.
        return {
            "_id": f"{time.time_ns():020d}-{events[0].id}",
            "collection": collection,
            "document_id": document["_id"],
            "event_ids": [event.id for event in events],
            "written_at": datetime.now(UTC),
        }

    def _forget(self, records: list[Document]) -> None:
        """Best effort: the relay would drop these anyway once it sees the document differ."""
        if records:
            try:
                self.pending.delete_many({"_id": {"$in": [record["_id"] for record in records]}})
            except PyMongoError:
                logger.warning("stale outbox records left for the relay to drop", exc_info=True)


class OutboxRelay:
    """Publishes pending outbox events of one service database to its topic."""

    def __init__(
        self,
        db: Database[Document],
        producer: KafkaProducer,
        topic: str,
        *,
        batch_size: int = 2_000,
        poll_interval: float = 0.05,
        send_timeout: float = 30.0,
        orphan_grace: float = 300.0,
    ) -> None:
        self.db = db
        self.pending = db[PENDING_COLLECTION]
        self.producer = producer
        self.topic = topic
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.send_timeout = send_timeout
        self.orphan_grace = timedelta(seconds=orphan_grace)

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set. Whatever is pending at start is published first."""
        failures = 0
        while not stop.is_set():
            try:
                relayed = self.relay_pending()
                failures = 0
            except (KafkaError, PyMongoError) as error:
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                logger.warning(
                    "outbox relay could not publish; retrying",
                    extra=log_fields(topic=self.topic, error=repr(error), retry_in_s=delay),
                )
                stop.wait(delay)
                continue
            if relayed == 0:
                stop.wait(self.poll_interval)

    def relay_pending(self) -> int:
        """Publish one batch of pending events, oldest first; returns how many were published."""
        # No sort in the query: FerretDB reads a limited find without filter or sort as the first
        # rows in insertion order (a sorted find reads and sorts every pending record first).
        records = sorted(self.pending.find().limit(self.batch_size), key=lambda r: r["_id"])
        if not records:
            return 0
        published = self.publish(records)
        self.forget(records)
        return published

    def publish(self, records: list[Document]) -> int:
        """Send the events the records name and wait for the broker's acknowledgement.

        Records whose document is missing are left for later (the write may be in flight) until
        `orphan_grace` has passed; records whose document lacks their events (the write lost a
        race) are dropped. Both are removed from `records`, so `forget` leaves the first kind.
        """
        outboxes = self._outboxes(records)
        futures = []
        for record in list(records):
            events = self._events_of(
                record, outboxes.get((record["collection"], record["document_id"]))
            )
            if events is None:
                records.remove(record)
                continue
            for event in events:
                futures.append(
                    self.producer.send(
                        self.topic, key=event.partitionkey.encode(), value=event.to_bytes()
                    )
                )
        self.producer.flush(timeout=self.send_timeout)
        for future in futures:
            future.get(timeout=self.send_timeout)  # raises if the broker did not acknowledge
        return len(futures)

    def forget(self, records: Iterable[Document]) -> None:
        """Mark the records' events published: delete the records (never touch the documents)."""
        ids = [record["_id"] for record in records]
        if ids:
            self.pending.delete_many({"_id": {"$in": ids}})

    def _outboxes(self, records: list[Document]) -> dict[tuple[str, Any], list[Document]]:
        """The events stored in the records' documents, read with one `$in` query per collection
        (an index search on FerretDB as patched by deploy/provision.py)."""
        wanted: dict[str, set[Any]] = defaultdict(set)
        for record in records:
            wanted[record["collection"]].add(record["document_id"])
        found = {}
        for collection, ids in wanted.items():
            for document in self.db[collection].find(
                {"_id": {"$in": list(ids)}}, {OUTBOX_FIELD: 1}
            ):
                found[(collection, document["_id"])] = document.get(OUTBOX_FIELD, [])
        return found

    def _events_of(self, record: Document, outbox: list[Document] | None) -> list[Envelope] | None:
        wanted = set(record["event_ids"])
        if outbox is None or not wanted <= {event["id"] for event in outbox}:
            written_at = record["written_at"]
            if written_at.tzinfo is None:
                written_at = written_at.replace(tzinfo=UTC)
            if outbox is not None or datetime.now(UTC) - written_at > self.orphan_grace:
                self.forget([record])  # its write failed: there is nothing to publish
            return None
        return [Envelope.from_dict(raw) for raw in outbox if raw["id"] in wanted]


def strip_outbox(document: Document | None) -> Document | None:
    """The document as the domain sees it, without the events it carries."""
    if document is None:
        return None
    return {key: value for key, value in document.items() if key != OUTBOX_FIELD}
