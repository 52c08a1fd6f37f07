"""MongoDB connections, and the patterns every service uses on a store without transactions.

The database may be FerretDB on SQLite, which answers lookups by `_id` from an index but scans
the collection for any other filter. So hot paths look documents up by `_id`, and idempotency is a
unique `_id` derived from the event or request, never a check followed by an insert.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection as Sized
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from bson import Binary
from pymongo import MongoClient, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, DuplicateKeyError

DEFAULT_TIMEOUT_MS = 5000
# the most ids one `$in` may name and still be answered from FerretDB's `_id` index
# (deploy/ferretdb/patches/acorn_pushdown.go); SQLite allows 32,766 bound parameters
MAX_IDS_PER_QUERY = 10_000
DUPLICATE_KEY = 11000


def connect(uri: str) -> MongoClient[dict[str, Any]]:
    """A client that connects lazily, so creating an app never blocks on the database."""
    return MongoClient(
        uri,
        serverSelectionTimeoutMS=DEFAULT_TIMEOUT_MS,
        connectTimeoutMS=DEFAULT_TIMEOUT_MS,
        tz_aware=True,
        connect=False,
    )


def ping(client: MongoClient[dict[str, Any]]) -> None:
    client.admin.command("ping")


def insert_once(collection: Collection[dict[str, Any]], document: dict[str, Any]) -> bool:
    """Insert `document` unless its `_id` exists; True if this call inserted it."""
    try:
        collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True


def only_taken_ids(error: BulkWriteError) -> bool:
    """True if every write of a failed bulk insert failed only because its `_id` exists."""
    return all(entry.get("code") == DUPLICATE_KEY for entry in error.details["writeErrors"])


def find_by_ids(
    collection: Collection[dict[str, Any]],
    ids: Sized[Any],
    projection: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """The documents whose `_id` is one of `ids` (missing ones skipped), in as few index searches
    as FerretDB allows. No ids, no query: an empty `$in` cannot use the index and would scan."""
    wanted = list(ids)
    for start in range(0, len(wanted), MAX_IDS_PER_QUERY):
        some = wanted[start : start + MAX_IDS_PER_QUERY]
        yield from collection.find({"_id": {"$in": some}}, projection)


def packed_json(text: bytes) -> Binary:
    """A large JSON text (many events or rows in one document) as a field FerretDB stores cheaply.

    FerretDB keeps a document as JSON, so a JSON text field is escaped on every write and
    unescaped on every read or delete: ~15 ms each for the 600 KB pending outbox record of a
    batch of 1,000 observations, together about as much as inserting the observations. Compressed
    (zlib's fastest level: a fifth of the size, ~5 ms in Python), it is stored as base64, with
    nothing to escape: 3-6 ms each."""
    return Binary(zlib.compress(text, 1))


def unpacked_json(stored: Binary | bytes | str) -> Any:
    """The value of a `packed_json` field, or of a plain JSON text one (written before packing)."""
    return orjson.loads(stored if isinstance(stored, str) else zlib.decompress(stored))


def keep_latest(collection: Collection[dict[str, Any]], snapshots: Iterable[dict[str, Any]]) -> int:
    """Store the highest version of each `_id` among `snapshots` (each with a `version`) unless
    one at least as new is already there; how many were stored.

    New keys are inserted together; a key already stored gets a conditional update, so a stale
    snapshot changes nothing however the writes interleave. (Upserts that collide on `_id` inside
    one bulk write come back from FerretDB without the counts pymongo needs, hence insert first,
    update second.)"""
    latest: dict[Any, dict[str, Any]] = {}
    for snapshot in snapshots:
        kept = latest.get(snapshot["_id"])
        if kept is None or kept["version"] < snapshot["version"]:
            latest[snapshot["_id"]] = snapshot
    snapshots = list(latest.values())
    if not snapshots:
        return 0
    try:
        return len(collection.insert_many(snapshots, ordered=False).inserted_ids)
    except BulkWriteError as error:
        details = error.details
        errors = details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        inserted = int(details.get("nInserted", 0))
    updates = [
        UpdateOne(
            {"_id": s["_id"], "version": {"$lt": s["version"]}},
            {"$set": {k: v for k, v in s.items() if k != "_id"}},
        )
        for s in (snapshots[e["index"]] for e in errors)
    ]
    return inserted + collection.bulk_write(updates, ordered=False).modified_count
