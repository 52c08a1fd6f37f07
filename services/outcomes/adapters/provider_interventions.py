"""What each provider's interventions set out to change, learnt from commissioning's intervention
events: so a provider's upload template lists the indicators of its own interventions.

One document per provider (`_id` = the provider id) holding, per intervention, its target
indicators and the snapshot's version. Applied like the enrolment projection: one conditional
upsert that keeps the highest version, so events may arrive twice or out of order.
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.outcomes.adapters.enrolments import field_key

COLLECTION = "provider_interventions"


class MongoProviderInterventions:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.collection = db[COLLECTION]

    def apply(
        self, *, provider_id: str, intervention_id: str, target_indicators: list[str], version: int
    ) -> bool:
        """Keep this snapshot's targets unless a same-or-newer version is stored; True if kept."""
        path = f"interventions.{field_key(intervention_id)}"
        entry = {"target_indicators": list(target_indicators), "version": version}
        try:
            result = self.collection.update_one(
                {
                    "_id": provider_id,
                    "$or": [{path: {"$exists": False}}, {f"{path}.version": {"$lt": version}}],
                },
                {"$set": {path: entry}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return result.modified_count == 1 or result.upserted_id is not None

    def target_indicators(self, provider_id: str) -> set[str]:
        """The indicators any of the provider's interventions targets (none known: empty)."""
        document = self.collection.find_one({"_id": provider_id}) or {}
        return {
            code
            for entry in document.get("interventions", {}).values()
            for code in entry["target_indicators"]
        }
