"""The observation store: insert-only, `_id = observation_id`, plus a per-child index.

Observations will number millions and FerretDB indexes only `_id`, so nothing filters on other
fields, and FerretDB decodes every field of a document it writes or reads (a thousand observations
of a dozen fields each were a third of its work under bulk ingest): an observation is stored as
`{_id, record, _outbox}`, its fields one JSON text in `record`.

Reading one child's observations goes through `child_observations`, which holds one small
document per child per write, `_id = f"{child_ref}/{first observation_id}"`, naming that write's
observations of the child in `ids`: the child's entries are an `_id` prefix range (`^child_ref/`,
which the `_id` index answers), and then the observations and their fates are two `$in` lookups
on `_id`. The index is insert-only because FerretDB's updates are not isolated: two writers
appending to one per-child document lose entries, whereas inserts under distinct `_id`s never
collide.

No transactions: the child index is written *before* the observations, so a crash in between
leaves an index entry pointing at nothing (skipped on read), never an observation the index misses.

FerretDB's updates are not isolated (two concurrent conditional updates can both "win"), so a
correction or withdrawal is decided by an *insert*: the original's fate document in
`observation_fates` (`_id` = the original's id) carries the `observation_corrected` or
`observation_withdrawn` event, and the unique `_id` lets exactly one of them win. The correcting
observation is inserted after its fate is settled. An observation's status is read from its fate.

Stores written before records and grouped index entries read as they are: an observation whose
fields are top-level, and an index entry without `ids`, which names the one observation in its
`_id`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import orjson
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.outcomes.domain.observations import SUPERSEDED, WITHDRAWN, Observation
from shared.events.envelope import Envelope
from shared.fields import CHILD_REF_PATTERN
from shared.mongo import find_by_ids, only_taken_ids
from shared.outbox import OUTBOX_FIELD, Outbox, strip_outbox

COLLECTION = "observations"
RECORD = "record"
FATES = "observation_fates"
CHILD_INDEX = "child_observations"


def index_id(child_ref: str, observation_id: str) -> str:
    # '/' occurs in neither a child ref nor a uuid, so the prefix `child_ref/` is this child's alone
    return f"{child_ref}/{observation_id}"


def to_document(observation: Observation) -> dict[str, Any]:
    # a flat dataclass of immutable values: a shallow copy, not asdict's deep one (hot in batches)
    fields = dict(vars(observation))
    fields["observed_on"] = observation.observed_on.isoformat()
    fields["recorded_at"] = observation.recorded_at.isoformat()
    return {"_id": observation.observation_id, RECORD: orjson.dumps(fields).decode()}


def from_document(document: dict[str, Any]) -> Observation:
    """The observation in `document`, with any fate fields merged in beside its record."""
    if RECORD in document:
        fields = orjson.loads(document[RECORD])
        fields["recorded_at"] = datetime.fromisoformat(fields["recorded_at"])
        fields.update((k, v) for k, v in document.items() if k not in ("_id", RECORD))
    else:  # stored before records
        fields = {k: v for k, v in document.items() if k != "_id"}
    fields["observed_on"] = date.fromisoformat(fields["observed_on"])
    return Observation(**fields)


class MongoObservations:
    def __init__(self, db: Database[dict[str, Any]], outbox: Outbox) -> None:
        self.db = db
        self.collection = db[COLLECTION]
        self.outbox = outbox

    def add_many(self, recorded: list[tuple[Observation, Envelope]]) -> None:
        """Record new observations, each with its event, in one bulk write.

        An observation whose id is taken is already recorded: ids are made again identically
        only when a request is redone after its worker died (`shared.ids`), and the first attempt
        wrote it, with its event, through the outbox."""
        self._index([observation for observation, _ in recorded])
        try:
            self.outbox.insert_many(
                COLLECTION,
                [(to_document(observation), [event]) for observation, event in recorded],
            )
        except BulkWriteError as error:
            if not only_taken_ids(error):
                raise
        except DuplicateKeyError:
            pass

    def get(self, observation_id: str) -> Observation | None:
        document = strip_outbox(self.collection.find_one({"_id": observation_id}))
        if document is None:
            return None
        fate = self.db[FATES].find_one({"_id": observation_id}, {"_outbox": 0})
        if fate:
            document.update({key: value for key, value in fate.items() if key != "_id"})
        return from_document(document)

    def for_child(self, child_ref: str) -> list[Observation]:
        """The child's observations with their fates, in no particular order: three queries."""
        if not re.fullmatch(CHILD_REF_PATTERN, child_ref):
            return []  # only valid refs are recorded; and the prefix must be a plain literal
        # a plain-string $regex (not re.compile, whose flags FerretDB refuses) of a literal prefix
        entries = self.db[CHILD_INDEX].find({"_id": {"$regex": f"^{child_ref}/"}})
        ids = [
            observation_id
            for entry in entries
            for observation_id in entry.get("ids") or [entry["_id"].partition("/")[2]]
        ]
        fates = {fate["_id"]: fate for fate in self._by_ids(FATES, ids)}
        found = []
        for document in self._by_ids(COLLECTION, ids):
            document.update(fates.get(document["_id"], {}))
            found.append(from_document(document))
        return found

    def supersede(self, original: Observation, correction: Observation, event: Envelope) -> bool:
        """Replace a current `original` by `correction`; False if it is no longer current."""
        fate = {"status": SUPERSEDED, "superseded_by": correction.observation_id}
        if not self._settle(original, fate, event):
            return False
        self._index([correction])
        self.collection.insert_one(to_document(correction))
        return True

    def withdraw(self, original: Observation, reason: str, event: Envelope) -> bool:
        return self._settle(original, {"status": WITHDRAWN, "withdrawal_reason": reason}, event)

    def _settle(self, original: Observation, fate: dict[str, Any], event: Envelope) -> bool:
        """Record the original's one and only fate; False if another change settled it first."""
        try:
            self.outbox.insert(FATES, {"_id": original.observation_id, **fate}, [event])
        except DuplicateKeyError:
            return False
        return True

    def _index(self, observations: list[Observation]) -> None:
        """One entry per child, in one insert for the whole batch; raises, before any observation
        is written, on failure."""
        by_child: dict[str, list[str]] = defaultdict(list)
        for observation in observations:
            by_child[observation.child_ref].append(observation.observation_id)
        try:
            self.db[CHILD_INDEX].insert_many(
                [{"_id": index_id(child, ids[0]), "ids": ids} for child, ids in by_child.items()],
                ordered=False,
            )
        except BulkWriteError as error:  # entries of a redone request are there already
            if not only_taken_ids(error):
                raise

    def _by_ids(self, collection: str, ids: list[str]) -> Iterator[dict[str, Any]]:
        """The documents with these `_id`s (missing ones skipped), without their events."""
        return find_by_ids(self.db[collection], ids, {OUTBOX_FIELD: 0})
