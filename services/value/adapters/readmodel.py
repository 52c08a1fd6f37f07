"""The value service's own read model, built from every topic and read by every report.

Each effect is idempotent and independent of arrival order: snapshots (providers, interventions,
enrolments, indicators) keep the highest version, one document per key; facts (observations,
withdrawals, needs assessments and ledger transactions) are immutable and keyed by their own id,
and a reader keeps one record per id. Which observations are current is decided when a report
reads them, so a correction may arrive before what it corrects.

Events are applied in batches (a poll's worth), because on FerretDB a round trip costs about a
millisecond while a document inside an `insert_many` costs tens of microseconds: each collection
gets one unordered `insert_many` (a duplicate `_id` is a redelivery, nothing to do), snapshots
are first reduced within the batch to the highest version per key, and the generation is bumped
once per batch that changed anything.

Facts are by far the most numerous, and FerretDB decodes every field of every document it
stores or returns (~100-300 µs for a document of a dozen fields), so a batch's facts are stored
as chunks: per collection, the batch's rows sorted by id, cut into documents of at most
`CHUNK_ROWS` rows and `CHUNK_BYTES` of text, each holding its rows as one packed JSON text
(`shared.mongo.packed_json`: compressed bytes, which FerretDB passes through almost for free). A
chunk's `_id` is a digest of the ids it holds, so the same batch redelivered writes nothing; the
same fact in a differently cut batch lands in a second chunk, and the reader's one record per id
makes that harmless. A row keeps only the fields reports read (a report that needs another one
needs a replay first).

Reading the whole model is the slow part of a report on FerretDB, so a report process loads it
once and then follows a journal: after its effects are durable, each batch inserts a journal
entry naming the `_id`s it wrote, under the next free sequence number (an insert under a unique
`_id`, so two writers cannot take the same one), and advances the generation counter to it if
anything changed. A report reads the counter by `_id` and, when it moved, fetches the entries since
its last load and then only the documents they name (`$in` on `_id`, which FerretDB answers from its
index). A missing entry (a reset drops the journal and bumps the counter; old entries are pruned)
means a full reload. Computed reports are cached per query and generation.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, TypeVar

import orjson
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.value.adapters.loaded import LoadedModel
from services.value.domain.model import Facts
from services.value.domain.prepared import Prepared
from shared.events.catalogue import commissioning as c
from shared.events.catalogue import ledger as ledger_events
from shared.events.catalogue import outcomes as o
from shared.events.envelope import Envelope
from shared.mongo import DUPLICATE_KEY, find_by_ids, keep_latest, packed_json, unpacked_json

COLLECTIONS = (
    "providers",
    "interventions",
    "enrolments",
    "indicators",
    "observations",
    "withdrawals",
    "needs",
    "transactions",
)
JOURNAL = "journal"  # dropped by a reset with the collections it names


META = "meta"  # not reset with the model: the generation only ever goes up
GENERATION = "generation"
KEEP_JOURNAL = 1_000  # entries kept; a reader further behind than this loads everything again
CHUNK_ROWS = 5_000  # a consumer poll's worth: one chunk per collection per batch, mostly
CHUNK_BYTES = 4_000_000  # well under FerretDB's 16 MiB document, whatever a row's size
CACHED_REPORTS = 64

T = TypeVar("T")

# event type -> (collection, the snapshot in the event, its key field)
SNAPSHOTS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    **dict.fromkeys(
        (c.PROVIDER_REGISTERED, c.PROVIDER_UPDATED), ("providers", dict, "provider_id")
    ),
    **dict.fromkeys(
        (
            c.INTERVENTION_COMMISSIONED,
            c.INTERVENTION_ACTIVATED,
            c.INTERVENTION_AMENDED,
            c.INTERVENTION_SUSPENDED,
            c.INTERVENTION_RESUMED,
            c.INTERVENTION_ENDED,
        ),
        ("interventions", lambda data: dict(data["intervention"]), "intervention_id"),
    ),
    **dict.fromkeys(
        (c.CHILD_ENROLLED, c.ENROLMENT_ENDED),
        ("enrolments", lambda data: dict(data["enrolment"]), "enrolment_id"),
    ),
    **dict.fromkeys(
        (o.INDICATOR_ADDED, o.INDICATOR_VERSIONED, o.INDICATOR_RETIRED),
        ("indicators", lambda data: dict(data["indicator"]), "code"),
    ),
}


def _row(key: str, *fields: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A fact's row: its id as `_id` and only the fields `LoadedModel` reads. FerretDB reads a
    chunk's text at some 35 MB/s, and a whole event is two to three times the size of its row."""

    def row(data: dict[str, Any]) -> dict[str, Any]:
        return {"_id": data[key], **{field: data[field] for field in fields if field in data}}

    return row


_observation_fields = _row(
    "observation_id", "child_ref", "indicator_code", "observed_on", "recorded_at", "supersedes"
)


def _observation_row(data: dict[str, Any]) -> dict[str, Any]:
    # the value as the decimal text it was sent as, so no binary float reaches the method
    return {**_observation_fields(data), "value": repr(data["value"])}


# event type -> (collection of chunks, the row kept for the fact, its own id as `_id`)
FACTS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    o.OBSERVATION_RECORDED: ("observations", _observation_row),
    o.OBSERVATION_CORRECTED: ("observations", _observation_row),
    o.OBSERVATION_WITHDRAWN: ("withdrawals", _row("observation_id")),
    o.NEEDS_ASSESSED: (
        "needs",
        _row("assessment_id", "child_ref", "assessed_on", "need_level"),
    ),
    ledger_events.TRANSACTION_POSTED: (
        "transactions",
        _row("transaction_id", "basis", "kind", "intervention_id", "lines"),
    ),
}


CHUNKED = frozenset(name for name, _ in FACTS.values())


def _journal_key(sequence: int) -> str:
    return f"{sequence:012d}"


def _chunks(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (by id) as chunk documents, cut the same way whatever order they arrived in."""
    groups: list[list[tuple[str, bytes]]] = [[]]
    size = 0
    for key in sorted(rows):
        text = orjson.dumps(rows[key])
        if groups[-1] and (len(groups[-1]) == CHUNK_ROWS or size + len(text) > CHUNK_BYTES):
            groups.append([])
            size = 0
        groups[-1].append((key, text))
        size += len(text)
    return [
        {
            "_id": hashlib.sha256("\n".join(key for key, _ in group).encode()).hexdigest()[:32],
            "rows": packed_json(b"[" + b",".join(text for _, text in group) + b"]"),
        }
        for group in groups
        if group
    ]


def _rows(name: str, documents: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The records' documents in `documents` of collection `name`: a chunk's rows, or itself."""
    if name not in CHUNKED:
        yield from documents
        return
    for chunk in documents:
        yield from unpacked_json(chunk["rows"])


def _insert_new(collection: Collection[dict[str, Any]], documents: list[dict[str, Any]]) -> int:
    """Insert every document whose `_id` is not there yet; how many were inserted. Any write
    error but a duplicate key is raised."""
    try:
        return len(collection.insert_many(documents, ordered=False).inserted_ids)
    except BulkWriteError as error:
        details = error.details
        if any(e.get("code") != DUPLICATE_KEY for e in details.get("writeErrors", [])):
            raise
        return int(details.get("nInserted", 0))


class ReadModel:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.db = db
        self._loaded: LoadedModel | None = None
        self._claimed = 0  # the last journal entry this instance wrote
        self._reports: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()

    def reset(self) -> None:
        for name in (*COLLECTIONS, JOURNAL):
            self.db.drop_collection(name)
        # no journal entry for this generation: a reader finds one missing and loads everything
        self.db[META].update_one({"_id": GENERATION}, {"$inc": {"n": 1}}, upsert=True)

    def generation(self) -> int:
        counter = self.db[META].find_one({"_id": GENERATION})
        return int(counter["n"]) if counter else 0

    def handlers(self) -> dict[str, Callable[[Envelope], None]]:
        """One event at a time, for the consumer runner to isolate a poison event in a batch."""
        return dict.fromkeys((*SNAPSHOTS, *FACTS), self.apply)

    def apply(self, event: Envelope) -> None:
        self.apply_batch([event])

    def apply_batch(self, events: list[Envelope]) -> None:
        """Apply `events` (any order, duplicates and redeliveries included): one write per
        collection, then one journal entry, and the generation advanced if anything changed."""
        facts: dict[str, dict[str, dict[str, Any]]] = {}
        snapshots: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            if event.type in FACTS:
                name, row_of = FACTS[event.type]
                row = row_of(event.data)
                facts.setdefault(name, {})[row["_id"]] = row
            else:
                name, snapshot_of, key = SNAPSHOTS[event.type]
                snapshot = snapshot_of(event.data)
                snapshots.setdefault(name, []).append({**snapshot, "_id": snapshot[key]})
        written: dict[str, list[str]] = {}
        changed = 0
        for name, rows in facts.items():
            chunks = _chunks(rows)
            changed += _insert_new(self.db[name], chunks)
            written[name] = [chunk["_id"] for chunk in chunks]
        for name, versions in snapshots.items():
            changed += keep_latest(self.db[name], versions)
            written[name] = sorted({snapshot["_id"] for snapshot in versions})
        if written:
            self._journal(written, advance=bool(changed))

    def _journal(self, written: dict[str, list[str]], *, advance: bool) -> None:
        """Record every `_id` the batch wrote, changed or not: a batch redelivered after a crash
        between its effects and its entry must still name them. Taken at the lowest free number
        above the generation, so the entries up to the generation have no gaps."""
        sequence = max(self.generation(), self._claimed) + 1
        while True:
            try:
                self.db[JOURNAL].insert_one({"_id": _journal_key(sequence), "ids": written})
                break
            except DuplicateKeyError:
                sequence += 1
        self._claimed = sequence
        if advance:
            self.db[META].update_one({"_id": GENERATION}, {"$max": {"n": sequence}}, upsert=True)
        self.db[JOURNAL].delete_one({"_id": _journal_key(sequence - KEEP_JOURNAL)})

    # --- what reports read ---------------------------------------------------------------------

    def transactions(self, basis: str) -> list[dict[str, Any]]:
        return self._current().transactions(basis)

    def facts(self, basis: str) -> Facts:
        return self._current().facts(basis)

    def prepared(self, basis: str) -> Prepared:
        return self._current().prepared(basis)

    def observation_count(self) -> int:
        """How many observations (recorded and corrections, each once) the read model holds."""
        return len(self._current().observations)

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, or what it returned for `key` while the read model was as it is now."""
        generation = self._current().generation
        hit = self._reports.get(key)
        if hit is not None and hit[0] == generation:
            self._reports.move_to_end(key)
            result: T = hit[1]
            return result
        result = compute()
        self._reports[key] = (generation, result)
        self._reports.move_to_end(key)
        while len(self._reports) > CACHED_REPORTS:
            self._reports.popitem(last=False)
        return result

    def _current(self) -> LoadedModel:
        generation = self.generation()  # read before loading: the load is at least this fresh
        loaded = self._loaded
        if loaded is None or not self._catch_up(loaded, generation):
            loaded = LoadedModel(generation)
            for name in COLLECTIONS:
                loaded.merge(name, _rows(name, self.db[name].find({})))
            self._loaded = loaded
        return loaded

    def _catch_up(self, loaded: LoadedModel, generation: int) -> bool:
        """Merge what the journal says was written since `loaded`; False if it cannot say."""
        if generation == loaded.generation:
            return True
        if not 0 < generation - loaded.generation <= KEEP_JOURNAL:
            return False
        keys = [_journal_key(n) for n in range(loaded.generation + 1, generation + 1)]
        entries = list(find_by_ids(self.db[JOURNAL], keys))
        if len(entries) != len(keys):
            return False
        written: dict[str, set[str]] = {}
        for entry in entries:
            for name, ids in entry["ids"].items():
                written.setdefault(name, set()).update(ids)
        for name, id_set in written.items():
            loaded.merge(name, _rows(name, find_by_ids(self.db[name], sorted(id_set))))
        loaded.generation = generation
        return True
