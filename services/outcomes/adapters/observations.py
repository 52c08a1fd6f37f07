"""The observation store: insert-only, `_id = observation_id`, plus a per-child index.

Observations will number millions and FerretDB indexes only `_id`, so nothing filters on other
fields. Reading one child's observations goes through `child_observations`, which holds one small
document per observation, `_id = f"{child_ref}/{observation_id}"`: the child's entries are an
`_id` prefix range (`^child_ref/`, which the `_id` index answers), and then the observations and
their fates are two `$in` lookups on `_id`. The index is insert-only because FerretDB's updates
are not isolated: two writers appending to one per-child document lose entries, whereas inserts
under distinct `_id`s never collide.

No transactions: the child index is written *before* the observations, so a crash in between
leaves an index entry pointing at nothing (skipped on read), never an observation the index misses.

FerretDB's updates are not isolated (two concurrent conditional updates can both "win"), so a
correction or withdrawal is decided by an *insert*: the original's fate document in
`observation_fates` (`_id` = the original's id) carries the `observation_corrected` or
`observation_withdrawn` event, and the unique `_id` lets exactly one of them win. The correcting
observation is inserted after its fate is settled. An observation's status is read from its fate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.outcomes.domain.observations import SUPERSEDED, WITHDRAWN, Observation
from shared.events.envelope import Envelope
from shared.fields import CHILD_REF_PATTERN
from shared.mongo import find_by_ids
from shared.outbox import OUTBOX_FIELD, Outbox, strip_outbox

COLLECTION = "observations"
FATES = "observation_fates"
CHILD_INDEX = "child_observations"


def index_id(child_ref: str, observation_id: str) -> str:
    # '/' occurs in neither a child ref nor a uuid, so the prefix `child_ref/` is this child's alone
    return f"{child_ref}/{observation_id}"


def to_document(observation: Observation) -> dict[str, Any]:
    # a flat dataclass of immutable values: a shallow copy, not asdict's deep one (hot in batches)
    document = dict(vars(observation))
    document["observed_on"] = observation.observed_on.isoformat()
    return {"_id": observation.observation_id, **document}


def from_document(document: dict[str, Any]) -> Observation:
    fields = {k: v for k, v in document.items() if k != "_id"}
    fields["observed_on"] = date.fromisoformat(fields["observed_on"])
    return Observation(**fields)


class MongoObservations:
    def __init__(self, db: Database[dict[str, Any]], outbox: Outbox) -> None:
        self.db = db
        self.collection = db[COLLECTION]
        self.outbox = outbox

    def add_many(self, recorded: list[tuple[Observation, Envelope]]) -> None:
        """Record new observations, each with its event, in one bulk write."""
        self._index([observation for observation, _ in recorded])
        self.outbox.insert_many(
            COLLECTION, [(to_document(observation), [event]) for observation, event in recorded]
        )

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
        if not re.match(CHILD_REF_PATTERN, child_ref):
            return []  # only valid refs are recorded; and the prefix must be a plain literal
        # a plain-string $regex (not re.compile, whose flags FerretDB refuses) of a literal prefix
        entries = self.db[CHILD_INDEX].find({"_id": {"$regex": f"^{child_ref}/"}}, {"_id": 1})
        ids = [entry["_id"].partition("/")[2] for entry in entries]
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
        """One insert for the whole batch; raises, before any observation is written, on failure."""
        self.db[CHILD_INDEX].insert_many(
            [{"_id": index_id(o.child_ref, o.observation_id)} for o in observations]
        )

    def _by_ids(self, collection: str, ids: list[str]) -> Iterator[dict[str, Any]]:
        """The documents with these `_id`s (missing ones skipped), without their events."""
        return find_by_ids(self.db[collection], ids, {OUTBOX_FIELD: 0})
