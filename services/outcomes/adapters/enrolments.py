"""The enrolment projection: which children each provider holds, built from commissioning events.

One document per provider and child, `_id = f"{provider_id}:{child_ref}"`, holding that
provider's enrolment periods for the child keyed by enrolment id, so an authorisation check is one
`_id` lookup whatever the number of enrolments in the council, and a batch's checks are one `$in`
on `_id` for all the children it names.

Applying a snapshot is one conditional upsert: set the enrolment's entry only if the document has
no entry for it or an older version. When the stored version is newer (or equal) the filter does
not match and the upsert's insert collides on `_id`: the event is stale or a redelivery and is
ignored. So applying is idempotent and order-independent without a check-then-write.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.outcomes.domain.enrolments import EnrolmentPeriod
from shared.mongo import find_by_ids

COLLECTION = "provider_children"


def holding_id(provider_id: str, child_ref: str) -> str:
    return f"{provider_id}:{child_ref}"


def field_key(entity_id: str) -> str:
    # ids may contain '.', which a field path would split; '%' never occurs in an id
    return entity_id.replace(".", "%2E")


class MongoEnrolments:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.collection = db[COLLECTION]

    def apply(self, *, provider_id: str, child_ref: str, period: EnrolmentPeriod) -> bool:
        """Keep `period` unless a same-or-newer version is stored; True if it was stored."""
        path = f"enrolments.{field_key(period.enrolment_id)}"
        entry = {
            "enrolment_id": period.enrolment_id,
            "intervention_id": period.intervention_id,
            "start_date": period.start_date.isoformat(),
            "end_date": period.end_date.isoformat() if period.end_date else None,
            "version": period.version,
        }
        try:
            result = self.collection.update_one(
                {
                    "_id": holding_id(provider_id, child_ref),
                    "$or": [
                        {path: {"$exists": False}},
                        {f"{path}.version": {"$lt": period.version}},
                    ],
                },
                {"$set": {path: entry}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return result.modified_count == 1 or result.upserted_id is not None

    def periods(self, provider_id: str, child_ref: str) -> list[EnrolmentPeriod]:
        document = self.collection.find_one({"_id": holding_id(provider_id, child_ref)})
        return _periods(document) if document else []

    def periods_by_child(
        self, provider_id: str, child_refs: Collection[str]
    ) -> dict[str, list[EnrolmentPeriod]]:
        """Each of `child_refs` -> the provider's periods for it (empty if it never held it)."""
        found: dict[str, list[EnrolmentPeriod]] = {child_ref: [] for child_ref in child_refs}
        by_id = {holding_id(provider_id, child_ref): child_ref for child_ref in found}
        for document in find_by_ids(self.collection, by_id):
            found[by_id[document["_id"]]] = _periods(document)
        return found


def _periods(document: dict[str, Any]) -> list[EnrolmentPeriod]:
    return [
        EnrolmentPeriod(
            enrolment_id=entry["enrolment_id"],
            intervention_id=entry["intervention_id"],
            start_date=date.fromisoformat(entry["start_date"]),
            end_date=date.fromisoformat(entry["end_date"]) if entry["end_date"] else None,
            version=entry["version"],
        )
        for entry in document.get("enrolments", {}).values()
    ]
