"""The observation store: insert-only, `_id = observation_id`, plus a per-child index.

Observations will number millions and FerretDB indexes only `_id`, so nothing filters on other
fields. Reading one child's observations goes through `child_observations` (`_id = child_ref`,
the list of that child's observation ids) and then one `_id` lookup per observation.

No transactions: the child index is written *before* the observations, so a crash in between
leaves an index entry pointing at nothing (skipped on read), never an observation the index misses.

A correction claims the original (`status` current -> superseded, with the `observation_corrected`
event riding on that same write, so exactly one correction of an observation can win), then the
correcting observation is inserted. A withdrawal is one conditional write with its event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date
from typing import Any

from pymongo.database import Database

from services.outcomes.domain.observations import CURRENT, Observation
from shared.events.envelope import Envelope
from shared.outbox import Outbox, strip_outbox

COLLECTION = "observations"
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
        return from_document(document) if document else None

    def for_child(self, child_ref: str) -> list[Observation]:
        index = self.db[CHILD_INDEX].find_one({"_id": child_ref})
        found = (self.get(observation_id) for observation_id in (index or {}).get("ids", []))
        return [observation for observation in found if observation is not None]

    def supersede(self, original: Observation, correction: Observation, event: Envelope) -> bool:
        """Replace a current `original` by `correction`; False if it is no longer current."""
        claimed = self.outbox.update(
            COLLECTION,
            {"_id": original.observation_id, "status": CURRENT},
            {"$set": {"status": "superseded", "superseded_by": correction.observation_id}},
            [event],
        )
        if claimed:
            self._index([correction])
            self.collection.insert_one(to_document(correction))
        return claimed

    def withdraw(self, original: Observation, reason: str, event: Envelope) -> bool:
        return self.outbox.update(
            COLLECTION,
            {"_id": original.observation_id, "status": CURRENT},
            {"$set": {"status": "withdrawn", "withdrawal_reason": reason}},
            [event],
        )

    def _index(self, observations: list[Observation]) -> None:
        by_child: dict[str, list[str]] = defaultdict(list)
        for observation in observations:
            by_child[observation.child_ref].append(observation.observation_id)
        for child_ref, ids in by_child.items():
            self.db[CHILD_INDEX].update_one(
                {"_id": child_ref}, {"$push": {"ids": {"$each": ids}}}, upsert=True
            )
