"""The transactional outbox, for a database without multi-document transactions.

A state change and the events it raises are one document write: the events ride in the changed
document's `_outbox` array. The relay publishes them with the idempotent producer and removes them
from the document only after the broker has acknowledged them, so a crash in between publishes
them again (consumers de-duplicate by event id) and never loses one.

Finding pending events cheaply: FerretDB on SQLite scans the whole collection for any filter but
`_id`, so after each write the `Outbox` also drops a small *hint* (collection and document id) into
`outbox_hints`. The relay works from hints, looking documents up by `_id`. A hint is only a
shortcut: if one is lost, the sweep, a full scan for non-empty `_outbox` arrays at start and every
`sweep_interval` seconds, still finds the events.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
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
HINTS_COLLECTION = "outbox_hints"
_NOT_OUTBOXED = {HINTS_COLLECTION}

logger = logging.getLogger(__name__)

Document = dict[str, Any]


class Outbox:
    """Writes documents together with the events their change raises."""

    def __init__(self, db: Database[Document]) -> None:
        self.db = db

    def insert(self, collection: str, document: Document, events: list[Envelope]) -> None:
        """Insert `document` carrying `events`. Raises DuplicateKeyError if its `_id` exists."""
        self._validate(events)
        self.db[collection].insert_one(
            {**document, OUTBOX_FIELD: [event.to_dict() for event in events]}
        )
        self._hint(collection, document["_id"], events)

    def insert_many(self, collection: str, items: list[tuple[Document, list[Envelope]]]) -> None:
        """Insert many new documents, each carrying its own events, in one unordered bulk write.

        Each document is still one write with its events (the outbox guarantee is per document);
        the bulk write and the bulk hints only save round trips. Raises BulkWriteError if some
        `_id` exists; the documents that were written keep their events and get their hints.
        """
        for _, events in items:
            self._validate(events)
        if not items:
            return
        documents = [
            {**document, OUTBOX_FIELD: [event.to_dict() for event in events]}
            for document, events in items
        ]
        try:
            self.db[collection].insert_many(documents, ordered=False)
        except BulkWriteError as error:
            failed = {e["index"] for e in error.details.get("writeErrors", [])}
            self._hint_many(collection, [i for j, i in enumerate(items) if j not in failed])
            raise
        self._hint_many(collection, items)

    def update(
        self, collection: str, filter_: Document, update: Document, events: list[Envelope]
    ) -> bool:
        """Apply `update` to the one document matching `filter_` and queue `events` with it.

        Returns False (and queues nothing) when no document matched, which is how optimistic
        concurrency reports a stale version.
        """
        self._validate(events)
        update = copy.deepcopy(update)
        update.setdefault("$push", {})[OUTBOX_FIELD] = {
            "$each": [event.to_dict() for event in events]
        }
        result = self.db[collection].update_one(filter_, update)
        if result.matched_count == 0:
            return False
        self._hint(collection, filter_["_id"], events)
        return True

    @staticmethod
    def _validate(events: list[Envelope]) -> None:
        if not events:
            raise ValueError("a change written through the outbox raises at least one event")
        for event in events:
            validate_payload(event.type, event.dataschemaversion, event.data, strict=True)

    def _hint(self, collection: str, document_id: Any, events: list[Envelope]) -> None:
        try:
            self.db[HINTS_COLLECTION].insert_one(
                {"_id": events[0].id, "collection": collection, "document_id": document_id}
            )
        except PyMongoError:
            # The events are safe in the document; the relay's sweep will find them.
            logger.warning(
                "outbox hint not written; the sweep will relay the events",
                extra=log_fields(collection=collection),
                exc_info=True,
            )

    def _hint_many(self, collection: str, items: list[tuple[Document, list[Envelope]]]) -> None:
        if not items:
            return
        hints = [
            {"_id": events[0].id, "collection": collection, "document_id": document["_id"]}
            for document, events in items
        ]
        try:
            self.db[HINTS_COLLECTION].insert_many(hints, ordered=False)
        except PyMongoError:
            logger.warning(
                "outbox hints not written; the sweep will relay the events",
                extra=log_fields(collection=collection),
                exc_info=True,
            )


class OutboxRelay:
    """Publishes pending outbox events of one service database to its topic."""

    def __init__(
        self,
        db: Database[Document],
        producer: KafkaProducer,
        topic: str,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.05,
        sweep_interval: float = 600.0,
        send_timeout: float = 30.0,
    ) -> None:
        self.db = db
        self.producer = producer
        self.topic = topic
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.sweep_interval = sweep_interval
        self.send_timeout = send_timeout

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set; republishes everything pending first."""
        next_sweep = 0.0
        failures = 0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_sweep:
                    self.sweep()
                    next_sweep = time.monotonic() + self.sweep_interval
                relayed = self.relay_hinted()
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

    def relay_hinted(self) -> int:
        """Publish the events of documents named by hints; returns how many were published."""
        hints = list(self.db[HINTS_COLLECTION].find().limit(self.batch_size))
        if not hints:
            return 0
        by_collection: dict[str, set[Any]] = defaultdict(set)
        for hint in hints:
            by_collection[hint["collection"]].add(hint["document_id"])
        published = 0
        for collection, document_ids in by_collection.items():
            documents = [
                document
                for document_id in document_ids
                if (document := self.db[collection].find_one({"_id": document_id}))
            ]
            published += self.publish_and_mark(collection, documents)
        self.db[HINTS_COLLECTION].delete_many({"_id": {"$in": [hint["_id"] for hint in hints]}})
        return published

    def sweep(self) -> int:
        """Full scan for pending events that no hint points to (lost hints, a crash)."""
        published = 0
        for collection in self.db.list_collection_names():
            if collection in _NOT_OUTBOXED or collection.startswith("system."):
                continue
            pending = self.db[collection].find({f"{OUTBOX_FIELD}.0": {"$exists": True}})
            published += self.publish_and_mark(collection, list(pending))
        return published

    def publish_and_mark(self, collection: str, documents: list[Document]) -> int:
        count = self.publish(documents)
        self.mark_published(collection, documents)
        return count

    def publish(self, documents: Iterable[Document]) -> int:
        """Send every pending event of `documents` and wait for the broker's acknowledgement."""
        futures = []
        for document in documents:
            for raw in document.get(OUTBOX_FIELD, []):
                event = Envelope.from_dict(raw)
                futures.append(
                    self.producer.send(
                        self.topic, key=event.partitionkey.encode(), value=event.to_bytes()
                    )
                )
        self.producer.flush(timeout=self.send_timeout)
        for future in futures:
            future.get(timeout=self.send_timeout)  # raises if the broker did not acknowledge
        return len(futures)

    def mark_published(self, collection: str, documents: Iterable[Document]) -> None:
        """Remove exactly the events that were published; events queued since stay pending."""
        for document in documents:
            events = document.get(OUTBOX_FIELD, [])
            if events:
                self.db[collection].update_one(
                    {"_id": document["_id"]}, {"$pullAll": {OUTBOX_FIELD: events}}
                )


def strip_outbox(document: Document | None) -> Document | None:
    """The document as the domain sees it, without the pending events riding on it."""
    if document is None:
        return None
    return {key: value for key, value in document.items() if key != OUTBOX_FIELD}
