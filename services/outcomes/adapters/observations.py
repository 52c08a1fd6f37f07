"""The observation store: insert-only, `_id = observation_id`, plus a per-child index.

Observations will number millions and FerretDB indexes only `_id`, so nothing filters on other
fields. Reading one child's observations goes through `child_observations` (`_id = child_ref`,
the list of that child's observation ids) and then one `_id` lookup per observation.

No transactions: the child index is written *before* the observations, so a crash in between
leaves an index entry pointing at nothing (skipped on read), never an observation the index misses.

FerretDB's updates are not isolated (two concurrent conditional updates can both "win"), so a
correction or withdrawal is decided by an *insert*: the original's fate document in
`observation_fates` (`_id` = the original's id) carries the `observation_corrected` or
`observation_withdrawn` event, and the unique `_id` lets exactly one of them win. The correcting
observation is inserted after its fate is settled. An observation's status is read from its fate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.outcomes.domain.observations import SUPERSEDED, WITHDRAWN, Observation
from shared.events.envelope import Envelope
from shared.outbox import Outbox, strip_outbox

COLLECTION = "observations"
FATES = "observation_fates"
CHILD_INDEX = "child_observations"


def to_document(observation: Observation) -> dict[str, Any]:
    document = asdict(observation)
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
        index = self.db[CHILD_INDEX].find_one({"_id": child_ref})
        found = (self.get(observation_id) for observation_id in (index or {}).get("ids", []))
        return [observation for observation in found if observation is not None]

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
        by_child: dict[str, list[str]] = defaultdict(list)
        for observation in observations:
            by_child[observation.child_ref].append(observation.observation_id)
        for child_ref, ids in by_child.items():
            self.db[CHILD_INDEX].update_one(
                {"_id": child_ref}, {"$push": {"ids": {"$each": ids}}}, upsert=True
            )
